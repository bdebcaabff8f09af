"""Shared fixtures. The suite runs against the database, broker and channel layer
that the environment names (PostgreSQL and Redis in ``make test``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

pytest_plugins = ["tests.fixtures.core", "tests.fixtures.engine"]


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_teardown(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Threads (workers, websocket handlers) may leave connections open; close them so the
    test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        default = connections["default"]
        if default.vendor == "postgresql" and str(default.settings_dict["NAME"]).startswith("test_"):
            with default.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connections.close_all()
