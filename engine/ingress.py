"""The webhook ingress: deliveries to ``/hooks/<token>/`` stored in groups, each answered after its commit.

Under an ASGI server, :class:`WebhookIngress` answers ``POST``/``PUT`` to a
webhook URL itself, ahead of Django (no middleware, request object or URL
resolution), and hands the delivery to this process's writer thread. The writer
takes every delivery that arrived while it was busy and stores them together:
one query for their endpoints, each delivery checked by its trigger on its
own, then one statement that inserts the new runs (``ON CONFLICT DO NOTHING``
on the event-key constraint: a repeated delivery creates nothing) and their
``run.created`` events. Only after that statement has committed are the
deliveries answered; then the new runs are enqueued and their live events
published.

How a group is stored, each delivery keeping its own outcome, is
:mod:`engine.delivery_store`; this module is the writer thread and the ASGI
application in front of Django.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connections
from django.http import HttpRequest

from connectors.sdk.nodes import WebhookRequest
from engine.db import refresh_connections
from engine.delivery_store import FAILED, MAX_GROUP, Answer, Delivery, store_deliveries

__all__ = ["Answer", "Delivery", "GroupWriter", "WebhookIngress", "store_deliveries"]

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[Any]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[Any]]

# --- the writer thread -----------------------------------------------------------------------


@dataclass
class _Pending:
    delivery: Delivery
    answer: Callable[[Answer], None]


class GroupWriter:
    """One thread per process that stores the deliveries waiting for it as one group.

    No waiting to fill a group: a delivery that arrives while the writer is
    idle is stored at once; those that arrive while it is busy form the next
    group.
    """

    def __init__(self, *, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, delivery: Delivery, answer: Callable[[Answer], None]) -> None:
        """Store ``delivery`` with the next group; ``answer`` is called (on the writer thread) after its commit."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._queue = queue.SimpleQueue()  # after a fork: the parent's queue is not ours
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._run, name="ledgerline-webhooks", daemon=True)
                    self._thread.start()
        self._queue.put(_Pending(delivery, answer))

    def stop(self, timeout: float = 10.0) -> None:
        """Store what was submitted, then end the thread and close its database connections."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive() or self._pid != os.getpid():
                return
            self._queue.put(None)
            self._thread = None
        thread.join(timeout)

    def _take(self) -> list[_Pending] | None:
        first = self._queue.get()
        if first is None:
            return None
        group = [first]
        while len(group) < self.max_group:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if pending is None:
                self._queue.put(None)  # stop after this group
                break
            group.append(pending)
        return group

    def _run(self) -> None:
        try:
            while (group := self._take()) is not None:
                self._store(group)
        finally:
            connections.close_all()

    def _store(self, group: list[_Pending]) -> None:
        stored = None
        try:
            refresh_connections()
            stored = store_deliveries([pending.delivery for pending in group])
            answers = stored.answers
        except Exception:
            logger.exception("a group of %d webhook deliveries could not be stored", len(group))
            answers = [Answer.rejected(500, FAILED)] * len(group)
        for pending, answer in zip(group, answers, strict=True):
            try:
                pending.answer(answer)
            except Exception:  # noqa: BLE001 - one caller's failure must not stop the others' answers
                logger.warning("could not hand a webhook answer back", exc_info=True)
        if stored is not None:
            # Committed already: the messages to the workers and the live events need not delay the answers.
            try:
                stored.dispatch()
            except Exception:  # noqa: BLE001 - the scheduler's sweep enqueues a pending run left without one
                logger.warning("could not enqueue %d new runs", len(stored.new_runs), exc_info=True)


writer = GroupWriter()


# --- the ASGI application ----------------------------------------------------------------------


_PREFIX = "/hooks/"


def _token(path: str) -> str | None:
    """The token of ``/hooks/<token>/`` (Django's ``<str:token>``: no slash, not empty), else None."""
    if not path.startswith(_PREFIX) or not path.endswith("/"):
        return None
    token = path[len(_PREFIX) : -1]
    return token if token and "/" not in token else None


def _host_allowed(scope: Scope, headers: Mapping[str, str]) -> bool:
    """Django's ``ALLOWED_HOSTS`` check (``request.get_host()``), on the same headers."""
    request = HttpRequest()
    server = scope.get("server") or ("localhost", 80)
    request.META = {"SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1] or "")}
    for name, meta in (("Host", "HTTP_HOST"), ("X-Forwarded-Host", "HTTP_X_FORWARDED_HOST")):
        if name in headers:
            request.META[meta] = headers[name]
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def _headers(scope: Scope) -> dict[str, str]:
    """The request headers as Django's ``request.headers`` names them (repeated ones joined with commas)."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin1").replace("_", "-").title()
        value = raw_value.decode("latin1")
        found[name] = f"{found[name]},{value}" if name in found else value
    return found


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string") or b""
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(parse_qsl(text, keep_blank_values=True, encoding=settings.DEFAULT_CHARSET, errors="replace"))


def _response_headers() -> list[tuple[bytes, bytes]]:
    """What Django's middleware would add to a JSON answer."""
    headers = [(b"content-type", b"application/json")]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        text = policy if isinstance(policy, str) else ",".join(policy)
        headers.append((b"referrer-policy", text.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    headers.append((b"x-frame-options", str(getattr(settings, "X_FRAME_OPTIONS", "DENY")).encode()))
    return headers


class WebhookIngress:
    """ASGI: webhook deliveries straight to the group writer; every other request to ``app``.

    A request this cannot answer exactly as Django would (a host Django refuses,
    a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) goes to ``app`` unchanged.
    """

    def __init__(self, app: ASGIApp, *, group_writer: GroupWriter | None = None) -> None:
        self.app = app
        self.writer = group_writer or writer
        self._response_headers: list[tuple[bytes, bytes]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT"):
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            token = _token(path)
            if token is not None:
                await self._deliver(scope, receive, send, token)
                return
        await self.app(scope, receive, send)

    async def _deliver(self, scope: Scope, receive: Receive, send: Send, token: str) -> None:
        headers = _headers(scope)
        if not _host_allowed(scope, headers):
            await self.app(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        read: list[Message] = []
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender gave up before the body arrived: nothing is stored
            read.append(message)
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                await self.app(scope, _replaying(read, receive), send)
                return
            if not message.get("more_body", False):
                break
        request = WebhookRequest(method=scope["method"], headers=headers, query=_query(scope), body=b"".join(chunks))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()

        def answer(result: Answer) -> None:
            loop.call_soon_threadsafe(_resolve, future, result)

        self.writer.submit(Delivery(token, request), answer)
        result = await future
        body = json.dumps(result.body).encode()
        if self._response_headers is None:
            self._response_headers = _response_headers()
        await send(
            {
                "type": "http.response.start",
                "status": result.status,
                "headers": [*self._response_headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _resolve(future: asyncio.Future[Answer], result: Answer) -> None:
    if not future.done():
        future.set_result(result)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` again, then the rest of the request."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
