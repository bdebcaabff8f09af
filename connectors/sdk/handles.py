"""The database-backed :class:`~connectors.sdk.context.ConnectionHandle`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.db import transaction

from connectors.sdk.models import Connection
from connectors.sdk.registry import connection_kinds
from connectors.sdk.throttle import BreakerPolicy, Limit, Throttle


class StoredConnection:
    """A connection with its secrets decrypted in memory, for one node call.

    ``repr`` never shows secrets. :meth:`locked` serialises token refreshes across
    every process (a row lock), so a rotating refresh token is used exactly once.
    """

    def __init__(self, row: Connection) -> None:
        self._row = row
        self._secrets = row.get_secrets()

    def __repr__(self) -> str:
        return f"<StoredConnection {self.kind} {self.name!r}>"

    @property
    def id(self) -> str:
        return str(self._row.pk)

    @property
    def kind(self) -> str:
        return self._row.kind

    @property
    def name(self) -> str:
        return self._row.name

    @property
    def base_url(self) -> str:
        return self._row.base_url.rstrip("/")

    @property
    def settings(self) -> Mapping[str, Any]:
        return self._row.settings

    @property
    def status(self) -> str:
        return self._row.status

    def secret(self, name: str) -> str | None:
        value = self._secrets.get(name)
        return None if value is None else str(value)

    def update_secrets(self, **values: str | None) -> None:
        """Merge and persist new secret values (``None`` removes one)."""
        merged = {**self._secrets, **values}
        self._row.set_secrets(merged)
        self._secrets = self._row.get_secrets()
        self._row.save(update_fields=["secrets_encrypted", "updated_at"])

    def update_settings(self, **values: Any) -> None:
        self._row.settings = {**self._row.settings, **values}
        self._row.save(update_fields=["settings", "updated_at"])

    def set_status(self, status: str, detail: str = "") -> None:
        if self._row.status == status and self._row.status_detail == detail:
            return
        self._row.status = status
        self._row.status_detail = detail
        self._row.save(update_fields=["status", "status_detail", "updated_at"])

    def mark_needs_reauth(self, reason: str) -> None:
        self.set_status(Connection.Status.NEEDS_REAUTH, reason)

    def throttle(self) -> Throttle:
        """This connection's shared limits (the kind's, with per-connection overrides)."""
        kind_cls = connection_kinds.get_class(self.kind) if self.kind in connection_kinds else None
        overrides = dict(self.settings.get("rate_limits") or {})
        limits = tuple(
            Limit(limit.name, int(overrides.get(limit.name, limit.limit)), limit.period)
            for limit in (kind_cls.rate_limits if kind_cls else ())
        )
        concurrency = overrides.get("concurrent", kind_cls.concurrency if kind_cls else None)
        return Throttle(self.id, limits, concurrency, kind_cls.breaker if kind_cls else BreakerPolicy())

    def call_slot(self, scope: str | None = None) -> AbstractContextManager[None]:
        return self.throttle().slot(scope)

    def remote_says(self, limit_name: str, *, remaining: int | None, reset_after: float | None) -> None:
        self.throttle().remote_says(limit_name, remaining=remaining, reset_after=reset_after)

    def reload(self) -> None:
        """Re-read the row (another process may have refreshed the tokens)."""
        self._row.refresh_from_db()
        self._secrets = self._row.get_secrets()

    @contextmanager
    def locked(self) -> Iterator[StoredConnection]:
        """Hold the connection's row lock, with fresh secrets, for the block.

        On PostgreSQL this is ``SELECT … FOR UPDATE``; on SQLite the write
        transaction serialises writers the same way.
        """
        with transaction.atomic():
            row = Connection.objects.select_for_update().get(pk=self._row.pk)
            self._row = row
            self._secrets = row.get_secrets()
            yield self


def open_connection(connection_id: str) -> StoredConnection:
    """Load a connection by id.

    Raises:
        Connection.DoesNotExist: no such connection.
    """
    return StoredConnection(Connection.objects.get(pk=connection_id))
