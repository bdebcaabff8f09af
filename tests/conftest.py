"""Shared fixtures. The suite runs against the database, broker and channel layer
that the environment names (PostgreSQL and Redis in ``make test``)."""

from __future__ import annotations

pytest_plugins = ["tests.fixtures.core", "tests.fixtures.engine"]
