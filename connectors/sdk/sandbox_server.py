"""The local API sandboxes on a port of their own, beside the ASGI server.

Walmart's headers carry underscores (``WM_SEC.ACCESS_TOKEN``, ``WM_QOS.CORRELATION_ID``).
daphne drops every such header (its guard against CVE-2015-0219, where ``X_Foo`` and
``X-Foo`` collide in the WSGI environ), so a sandbox served by daphne would never see
them. This server keeps them: it is a threaded WSGI server in the web process, so the
sandboxes' in-memory state is the one the ASGI server's control endpoints seed.

It serves the whole URL map, but connections only use it for ``/sandbox/...``.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit
from wsgiref import simple_server

from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


class _KeepUnderscoreHeaders(WSGIRequestHandler):
    """Django's request handler without its underscore-header filter (the wsgiref environ)."""

    #: wsgiref writes the headers and the body separately: with Nagle's algorithm the body
    #: waited for the client's delayed ACK, 40 ms per call.
    disable_nagle_algorithm = True

    def get_environ(self) -> dict[str, Any]:
        return simple_server.WSGIRequestHandler.get_environ(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandboxes are called many times a second."""


class SandboxServer:
    """``start()`` serves on ``url``'s host and port in a daemon thread; ``stop()`` shuts it down."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._server: ThreadedWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = ThreadedWSGIServer((self.host, self.port), _KeepUnderscoreHeaders, allow_reuse_address=True)
        self._server.daemon_threads = True
        self._server.set_app(WSGIHandler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
