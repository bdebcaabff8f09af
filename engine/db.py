"""Database connections of long-lived threads (the webhook receiver's pool, worker threads).

Django's ``close_old_connections`` before every request or message also makes
the next query a health check (``SELECT 1``) when ``CONN_HEALTH_CHECKS`` is on:
one round trip per webhook and per worker message. Here a thread checks its
connections when one of them had an error, and otherwise every few seconds;
a connection that broke in between fails one request or message, is closed
after it, and the next one reconnects (workers retry the message).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import close_old_connections, connections
from dramatiq.middleware import Middleware

CHECK_EVERY_SECONDS = 5.0

_last_check = threading.local()


def refresh_connections(*, now: float | None = None) -> bool:
    """``close_old_connections`` when due on this thread; whether it ran."""
    now = time.monotonic() if now is None else now
    errors = any(conn.errors_occurred for conn in connections.all(initialized_only=True))
    if not errors and now - getattr(_last_check, "at", float("-inf")) < CHECK_EVERY_SECONDS:
        return False
    close_old_connections()
    _last_check.at = now
    return True


class DbConnectionsMiddleware(Middleware):
    """django_dramatiq's middleware of the same name, with :func:`refresh_connections`."""

    def before_process_message(self, broker: Any, message: Any) -> None:
        refresh_connections()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None, exception: Any = None) -> None:
        refresh_connections()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        refresh_connections()

    def before_worker_thread_shutdown(self, broker: Any, thread: Any) -> None:
        connections.close_all()
