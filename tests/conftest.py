"""Shared fixtures. The suite runs against the database, broker and channel layer
that the environment names (PostgreSQL and Redis in ``make test``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

pytest_plugins = ["tests.fixtures.core", "tests.fixtures.engine"]


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_teardown(django_db_blocker: Any) -> Iterator[None]:
    """Threads (workers, websocket handlers) may leave connections open; close them so the
    test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        connections.close_all()
