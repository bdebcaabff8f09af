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

Each delivery keeps its own outcome: a delivery its trigger refuses is
answered with its status and stores nothing, and if the group's statement
fails, every delivery of the group is stored again on its own
(:func:`engine.webhooks.receive_delivery`), so one bad delivery fails alone.
Databases other than PostgreSQL (the embedded mode's SQLite) store each
delivery on its own the same way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import queue
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection, connections, transaction
from django.http import HttpRequest
from django.utils import timezone

from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import TriggerEvent, WebhookRequest, WebhookTrigger
from connectors.sdk.registry import node_types
from engine import events, versions
from engine.core.jsonsafe import to_json
from engine.db import refresh_connections
from engine.dispatch import enqueue_run
from engine.models import Run, RunEvent, WebhookEndpoint
from engine.webhooks import decrypted_secret, receive_delivery

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[Any]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[Any]]

#: The most deliveries one group stores.
MAX_GROUP = 200


@dataclass(frozen=True)
class Delivery:
    token: str
    request: WebhookRequest


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @classmethod
    def rejected(cls, status: int, detail: str) -> Answer:
        return cls(status, {"detail": detail})

    @classmethod
    def accepted(cls, run_ids: Sequence[str], duplicates: int) -> Answer:
        return cls(202, {"runs": list(run_ids), "duplicates": duplicates})


NOT_JSON = "the body is not valid JSON"
FAILED = "the delivery could not be stored; deliver it again"


def receive_one(delivery: Delivery) -> Answer:
    """Store one delivery on its own (:func:`engine.webhooks.receive_delivery`) and say how to answer it."""
    try:
        runs, duplicates = receive_delivery(delivery.token, delivery.request)
    except WebhookRejected as exc:
        return Answer.rejected(exc.status, exc.message)
    except json.JSONDecodeError:
        return Answer.rejected(400, NOT_JSON)
    return Answer.accepted([str(run.pk) for run in runs], duplicates)


# --- storing a group of deliveries (PostgreSQL) ------------------------------------------------


@dataclass
class _Endpoint:
    node_id: str
    secret_encrypted: str
    workflow_id: uuid.UUID
    active: bool
    is_template: bool
    version_id: int | None
    version_at: Any


@dataclass
class _Planned:
    """A delivery its trigger accepted: the runs it asks for (``event_key`` may repeat an earlier run's)."""

    index: int
    workflow_id: uuid.UUID
    version: Any
    node_id: str
    events: list[TriggerEvent]
    run_ids: list[uuid.UUID] = field(default_factory=list)


def _column(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).column)


def _endpoints_sql() -> str:
    from django.db.models import Model

    workflow: type[Model] = WebhookEndpoint._meta.get_field("workflow").related_model  # type: ignore[assignment]
    version = versions.version_model()
    e, w, v = WebhookEndpoint._meta.db_table, workflow._meta.db_table, version._meta.db_table
    v_workflow, v_number, v_created = (_column(version, n) for n in ("workflow", "number", "created_at"))
    # Table and column names come from the models, not from input.
    return (
        f"SELECT e.{_column(WebhookEndpoint, 'token')}, e.{_column(WebhookEndpoint, 'node_id')}, "  # noqa: S608
        f"e.{_column(WebhookEndpoint, 'secret_encrypted')}, w.{_column(workflow, 'id')}, "
        f"w.{_column(workflow, 'active')}, w.{_column(workflow, 'is_template')}, lv.id, lv.created_at "
        f"FROM {e} e JOIN {w} w ON w.{_column(workflow, 'id')} = e.{_column(WebhookEndpoint, 'workflow')} "
        f"LEFT JOIN LATERAL (SELECT {_column(version, 'id')} AS id, {v_created} AS created_at FROM {v} "
        f"WHERE {v_workflow} = w.{_column(workflow, 'id')} ORDER BY {v_number} DESC LIMIT 1) lv ON TRUE "
        f"WHERE e.{_column(WebhookEndpoint, 'token')} = ANY(%s)"
    )


_sql_cache: dict[str, str] = {}


def _sql(name: str, build: Callable[[], str]) -> str:
    found = _sql_cache.get(name)
    if found is None:
        found = _sql_cache[name] = build()
    return found


def _load_endpoints(tokens: Iterable[str]) -> dict[str, _Endpoint]:
    """The endpoints of ``tokens`` with their workflow's state and latest version: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("endpoints", _endpoints_sql), [list(tokens)])
        rows = cursor.fetchall()
    return {row[0]: _Endpoint(*row[1:]) for row in rows}


def _check(endpoint: _Endpoint | None, request: WebhookRequest) -> tuple[Any, list[TriggerEvent]]:
    """The version a delivery runs and its events, as the trigger sees them (the rules of ``receive_delivery``).

    Raises:
        WebhookRejected: unknown URL (404), paused workflow (409), trigger removed (410), or the trigger refused it.
    """
    if endpoint is None:
        raise WebhookRejected("no webhook at this address", status=404)
    if not endpoint.active or endpoint.is_template:
        raise WebhookRejected("the workflow is paused; deliver again later", status=409)
    version = (
        versions.get_version(endpoint.version_id, endpoint.version_at)
        if endpoint.version_id is not None and endpoint.version_at
        else None
    )
    node = next((n for n in (version.document["nodes"] if version else []) if n["id"] == endpoint.node_id), None)
    if version is None or node is None:
        raise WebhookRejected("this webhook's trigger was removed from the workflow", status=410)
    trigger = node_types.get(node["type"])
    if not isinstance(trigger, WebhookTrigger):
        raise WebhookRejected("this node no longer accepts webhooks", status=410)
    config = {**(node.get("config") or {}), "_secret": decrypted_secret(endpoint.secret_encrypted)}
    return version, trigger.receive(config, request)


#: Run columns every new run sets; the others take their model default.
_RUN_VALUES = (
    "id",
    "workflow_id",
    "workflow_version_id",
    "trigger_node_id",
    "event_key",
    "input",
    "triggered_by",
    "created_at",
    "last_seq",
)


def _run_fields() -> list[Any]:
    return list(Run._meta.concrete_fields)


def _insert_sql(rows: int) -> str:
    fields = _run_fields()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    run_values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    event_values = ", ".join(["(%s::uuid, %s::jsonb)"] * rows)
    run_id, run_workflow = _column(Run, "id"), _column(Run, "workflow")
    ev = {name: _column(RunEvent, name) for name in ("run", "workflow", "seq", "type", "node_id", "payload", "at")}
    constraint = [_column(Run, name) for name in ("workflow", "trigger_node_id", "event_key")]
    # Table and column names come from the models; every value is a parameter.
    return (
        f"WITH new_runs AS (INSERT INTO {Run._meta.db_table} ({columns}) VALUES {run_values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(constraint)}) WHERE {constraint[2]} IS NOT NULL DO NOTHING "
        f"RETURNING {run_id} AS id, {run_workflow} AS workflow_id), "
        f"new_events AS (INSERT INTO {RunEvent._meta.db_table} "
        f"({ev['run']}, {ev['workflow']}, {ev['seq']}, {ev['type']}, {ev['node_id']}, {ev['payload']}, {ev['at']}) "
        f"SELECT r.id, r.workflow_id, 1, %s, '', e.payload, %s FROM new_runs r "
        f"JOIN (VALUES {event_values}) AS e (run_id, payload) ON e.run_id = r.id "
        f"RETURNING {RunEvent._meta.pk.column}, {ev['run']}) "
        f"SELECT {ev['run']}, {RunEvent._meta.pk.column} FROM new_events"
    )


def _duplicates_sql(rows: int) -> str:
    keys = ", ".join(["(%s::uuid, %s, %s)"] * rows)
    names = [_column(Run, n) for n in ("workflow", "trigger_node_id", "event_key")]
    return (
        f"SELECT {_column(Run, 'id')}, {', '.join(names)} FROM {Run._meta.db_table} "  # noqa: S608
        f"WHERE ({', '.join(names)}) IN ({keys})"
    )


_Inserted = tuple[dict[uuid.UUID, int], dict[tuple[str, str, str], uuid.UUID], dt.datetime]


def _store_planned(planned: list[_Planned]) -> _Inserted:
    """Insert the planned runs and their first events in one statement.

    Returns the new runs (id → its event's id), for the event keys that
    already had a run that run's id, and the time the runs were stored.
    """
    fields = _run_fields()
    now = timezone.now()
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection=connection)
        for f in fields
        if f.attname not in _RUN_VALUES
    }
    run_params: list[Any] = []
    event_params: list[Any] = []
    rows = 0
    for plan in planned:
        event_payload = json.dumps({"trigger_node_id": plan.node_id, "version": plan.version.number})
        for event in plan.events:
            run_id = uuid.uuid4()
            plan.run_ids.append(run_id)
            values = {
                "id": run_id,
                "workflow_id": plan.workflow_id,
                "workflow_version_id": plan.version.pk,
                "trigger_node_id": plan.node_id,
                "event_key": event.key,
                "input": to_json(event.payload),
                "triggered_by": "webhook",
                "created_at": now,
                "last_seq": 1,  # its first event, stored with it
            }
            for f in fields:
                name = f.attname
                run_params.append(
                    f.get_db_prep_save(values[name], connection=connection) if name in values else defaults[name]
                )
            event_params.extend((run_id, event_payload))
            rows += 1
    if not rows:
        return {}, {}, now
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(rows), [*run_params, "run.created", now, *event_params])
        created = {run_id: int(event_id) for run_id, event_id in cursor.fetchall()}
    wanted = [
        (str(plan.workflow_id), plan.node_id, str(event.key))
        for plan in planned
        for run_id, event in zip(plan.run_ids, plan.events, strict=True)
        if run_id not in created and event.key is not None
    ]
    existing: dict[tuple[str, str, str], uuid.UUID] = {}
    if wanted:
        keys = list(dict.fromkeys(wanted))
        with connection.cursor() as cursor:
            cursor.execute(_duplicates_sql(len(keys)), [value for key in keys for value in key])
            for run_id, workflow_id, node_id, event_key in cursor.fetchall():
                existing[(str(workflow_id), node_id, event_key)] = run_id
    return created, existing, now


@dataclass
class Stored:
    """What storing a group of deliveries gave: an answer per delivery, then what to send once answered."""

    answers: list[Answer]
    #: The runs the group created (not those a delivery stored on its own, which enqueued theirs).
    new_runs: list[str] = field(default_factory=list)
    #: Their ``run.created`` events, as :func:`engine.events.serialize_event` gives them.
    messages: list[dict[str, Any]] = field(default_factory=list)

    def dispatch(self) -> None:
        """Enqueue the new runs and publish their events (on commit, inside a transaction)."""
        for run_id in self.new_runs:
            enqueue_run(run_id)
        if self.messages:
            messages = self.messages
            transaction.on_commit(lambda: events.publish(messages))


def store_deliveries(deliveries: Sequence[Delivery]) -> Stored:
    """Store ``deliveries`` together: how to answer each, and the new runs to enqueue.

    Every answer is true once this returns (and the surrounding transaction, if
    any, has committed); the caller answers, then calls :meth:`Stored.dispatch`.
    A run whose message is lost between the two (the process died) is pending
    without a lease, and the scheduler's sweep enqueues it.
    """
    if connection.vendor != "postgresql":
        return Stored([receive_one(delivery) for delivery in deliveries])
    endpoints = _load_endpoints({delivery.token for delivery in deliveries})
    answers: list[Answer | None] = [None] * len(deliveries)
    planned: list[_Planned] = []
    for index, delivery in enumerate(deliveries):
        endpoint = endpoints.get(delivery.token)
        try:
            version, trigger_events = _check(endpoint, delivery.request)
        except WebhookRejected as exc:
            answers[index] = Answer.rejected(exc.status, exc.message)
            continue
        except json.JSONDecodeError:
            answers[index] = Answer.rejected(400, NOT_JSON)
            continue
        except Exception:
            logger.exception("a webhook trigger failed on a delivery")
            answers[index] = Answer.rejected(500, FAILED)
            continue
        assert endpoint is not None  # _check refuses unknown tokens
        planned.append(_Planned(index, endpoint.workflow_id, version, endpoint.node_id, trigger_events))
    if not planned:
        return Stored([a for a in answers if a is not None])
    try:
        # Inside a transaction (a test, a caller's atomic block) a failure must not break it.
        with transaction.atomic() if connection.in_atomic_block else _no_block():
            created, existing, stored_at = _store_planned(planned)
    except Exception as exc:  # noqa: BLE001 - each delivery is stored again on its own below
        logger.warning("a group of %d webhook deliveries failed (%s); storing each on its own", len(planned), exc)
        for plan in planned:
            answers[plan.index] = _receive_one_logged(deliveries[plan.index])
        return Stored([a for a in answers if a is not None])
    new_runs: list[str] = []
    messages: list[dict[str, Any]] = []
    at = stored_at.isoformat()
    for plan in planned:
        run_ids: list[str] = []
        duplicates = 0
        for run_id, event in zip(plan.run_ids, plan.events, strict=True):
            if run_id in created:
                new_runs.append(str(run_id))
                run_ids.append(str(run_id))
                messages.append(
                    {
                        "id": created[run_id],
                        "seq": 1,
                        "run_id": str(run_id),
                        "workflow_id": str(plan.workflow_id),
                        "type": "run.created",
                        "node_id": None,
                        "at": at,
                        "payload": {"trigger_node_id": plan.node_id, "version": plan.version.number},
                    }
                )
                continue
            first = existing.get((str(plan.workflow_id), plan.node_id, str(event.key)))
            if first is None:
                break
            run_ids.append(str(first))
            duplicates += 1
        else:
            answers[plan.index] = Answer.accepted(run_ids, duplicates)
            continue
        # The run this event key collided with is gone (deleted meanwhile): store the delivery on its own.
        answers[plan.index] = _receive_one_logged(deliveries[plan.index])
    return Stored([a for a in answers if a is not None], new_runs, messages)


class _no_block:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _receive_one_logged(delivery: Delivery) -> Answer:
    try:
        return receive_one(delivery)
    except Exception:
        # Never the token or the body: the message and traceback name the failure only.
        logger.exception("a webhook delivery could not be stored")
        return Answer.rejected(500, FAILED)


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
