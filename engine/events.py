"""Run events: stored in order, then pushed to the Channels groups after commit.

Only the worker holding a run's lease writes its events, so the per-run
sequence number is kept on the run row and advanced in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from engine.db import insert_values
from engine.models import Run, RunEvent

logger = logging.getLogger(__name__)


#: The values of a new event's row, in order (every column but its id), and their fields.
_ROW_NAMES = ("run_id", "workflow_id", "seq", "type", "node_id", "payload", "at")
_EVENT_FIELDS = [RunEvent._meta.get_field(name) for name in _ROW_NAMES]


def workflow_group(workflow_id: object) -> str:
    return f"workflow.{workflow_id}"


def serialize_event(event: RunEvent) -> dict[str, Any]:
    """The wire form of an event (websocket messages and the events API)."""
    return event_message(
        event.pk, event.seq, event.run_id, event.workflow_id, event.type, event.node_id, event.at, event.payload
    )


def event_message(
    event_id: int | None,
    seq: int,
    run_id: object,
    workflow_id: object,
    event_type: str,
    node_id: str,
    at: Any,
    payload: Any,
) -> dict[str, Any]:
    """The wire form of an event from its values (an event written without a model instance)."""
    return {
        "id": event_id,
        "seq": seq,
        "run_id": str(run_id),
        "workflow_id": str(workflow_id),
        "type": event_type,
        "node_id": node_id or None,
        "at": at.isoformat(),
        "payload": payload,
    }


#: The table name comes from the model, not from input.
_ALLOCATE_SQL = f"UPDATE {Run._meta.db_table} SET last_seq = last_seq + %s WHERE id = %s RETURNING last_seq"  # noqa: S608


def _allocate(run: Run, count: int) -> int:
    """Reserve ``count`` sequence numbers for ``run``; returns the last one.

    One ``UPDATE … RETURNING`` (PostgreSQL, SQLite 3.35+): atomic against
    concurrent writers such as a cancel request, without a separate lock.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ALLOCATE_SQL, [count, run.pk.hex if connection.vendor == "sqlite" else run.pk])
        row = cursor.fetchone()
    return int(row[0])


def record_events(run: Run, entries: Iterable[tuple[str, str, dict[str, Any]]], *, allocated: bool = False) -> None:
    """Store ``(type, node_id, payload)`` entries for ``run`` and publish them on commit.

    Call it inside the transaction that made the state change, so an event
    exists exactly when its change does. ``allocated``: the caller already
    advanced ``run.last_seq`` by the entries in the same transaction (a run
    created with them, a run-row update that reserved them).
    """
    record_run_events([(run, list(entries))], allocated=allocated)


def record_run_events(
    batches: Iterable[tuple[Run, list[tuple[str, str, dict[str, Any]]]]], *, allocated: bool = False
) -> None:
    """:func:`record_events` for several runs at once: one insert, one publish after commit.

    On PostgreSQL the rows go in as values (:func:`engine.db.insert_values`):
    a group's write carries several events per run, and a model instance for
    each cost more than the insert itself.
    """
    now = timezone.now()
    rows: list[list[Any]] = []  # in the order of _ROW_NAMES
    for run, entries in batches:
        if not entries:
            continue
        last = int(run.last_seq) if allocated else _allocate(run, len(entries))
        first = last - len(entries) + 1
        # As text once per run, not once per event for the row and again for its message.
        run_id, workflow_id = str(run.pk), str(run.workflow_id)
        for offset, (event_type, node_id, payload) in enumerate(entries):
            rows.append([run_id, workflow_id, first + offset, event_type, node_id, payload, now])
        run.last_seq = last
    if not rows:
        return
    ids = _insert(rows)
    messages = [
        event_message(event_id, seq, run_id, workflow_id, event_type, node_id, at, payload)
        for event_id, (run_id, workflow_id, seq, event_type, node_id, payload, at) in zip(ids, rows, strict=True)
    ]
    transaction.on_commit(lambda: publish(messages))


def _insert(rows: list[list[Any]]) -> list[Any]:
    """Insert event rows; their ids in order (elsewhere than PostgreSQL, read back where none come back)."""
    if connection.vendor == "postgresql":
        return insert_values(RunEvent, _EVENT_FIELDS, rows)
    created = RunEvent.objects.bulk_create([RunEvent(**dict(zip(_ROW_NAMES, row, strict=True))) for row in rows])
    if not created or created[0].pk is not None:
        return [event.pk for event in created]
    first_seq = min(row[2] for row in rows)
    stored = RunEvent.objects.filter(run_id__in={row[0] for row in rows}, seq__gte=first_seq).only("run_id", "seq")
    ids = {(str(event.run_id), event.seq): event.pk for event in stored}
    return [ids.get((row[0], row[2])) for row in rows]  # the rows carry run ids as text


def publish(messages: list[dict[str, Any]]) -> None:
    """Send events to the run's and the workflow's groups; a failure only logs.

    Events are durable, so a client that missed a message replays it from the
    database when it reconnects. With a channel layer outside this process
    (Redis), the sending is handed to this process's publisher thread and the
    caller does not wait for it; the in-memory layer (embedded mode, one
    process) is sent to at once.
    """
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    if isinstance(layer, InMemoryChannelLayer):
        try:
            async_to_sync(_send_all)(layer, messages)
        except Exception:  # noqa: BLE001 - live delivery is best effort; the database has the events
            logger.warning("could not publish run events to the channel layer", exc_info=True)
        return
    _publisher.submit(messages)


def _grouped(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each workflow group's events in order: one channel-layer send per workflow, not one per event.

    A run's own stream listens on its workflow's group and keeps its run's
    events (:class:`engine.consumers.RunEventsConsumer`).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for message in sorted(messages, key=lambda m: (m["id"] is None, m["id"] or 0)):
        groups.setdefault(workflow_group(message["workflow_id"]), []).append(message)
    return groups


async def _send_all(layer: Any, messages: list[dict[str, Any]]) -> None:
    """All of a commit's (or several commits') events in one trip into the event loop."""
    for group, events in _grouped(messages).items():
        if len(events) == 1:
            await layer.group_send(group, {"type": "run.event", "event": events[0]})
        else:
            await layer.group_send(group, {"type": "run.events", "events": events})


class _Publisher:
    """One thread per process with one long-lived event loop that sends committed events.

    A fresh event loop per publish (what ``async_to_sync`` does on a worker
    thread) means a fresh connection to Redis per publish, and the committing
    thread waiting for it; here the loop, its connections and the waiting stay
    on one thread, and events committed meanwhile travel together.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[list[dict[str, Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, messages: list[dict[str, Any]]) -> None:
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._queue = queue.SimpleQueue()  # after a fork: the parent's queue is not ours
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._run, name="ledgerline-events", daemon=True)
                    self._thread.start()
        self._queue.put(messages)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        work = self._queue
        while True:
            batch = list(work.get())
            while True:
                try:
                    batch.extend(work.get_nowait())
                except queue.Empty:
                    break
            try:
                loop.run_until_complete(_send_all(get_channel_layer(), batch))
            except Exception:  # noqa: BLE001 - live delivery is best effort; the database has the events
                logger.warning("could not publish run events to the channel layer", exc_info=True)


_publisher = _Publisher()
