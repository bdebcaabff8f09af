"""Writing runs' state: node runs and events, deferred to the next durability point.

A step changes nothing in the database by itself: it defers its changes to
the run's :class:`RunRecorder`, and they are written at the next durability
point — before a side effect, after one, at a wait, at the end. Pure nodes
(no side effects) change nothing outside the run, so if the worker dies
first, they simply run again.

:func:`write_group` writes the deferred changes of several runs in one
transaction (one commit for a group of runs advanced together). Each run's
row is changed only while this worker holds its lease and the run is not
cancelled; a run whose row is refused has none of its changes written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import transaction

from engine.core.states import RunStatus
from engine.events import record_run_events
from engine.models import NodeRun, Run

Event = tuple[str, str, dict[str, Any]]

#: Node-run fields a step may change.
NODE_RUN_FIELDS = [
    "node_type", "status", "attempts", "waits", "input", "output", "error", "logs",
    "started_at", "finished_at", "next_attempt_at",
]  # fmt: skip


class RunRecorder:
    """The in-memory node runs of one claimed run, and the writes not yet made."""

    def __init__(self, run: Run, owner: str, node_runs: Iterable[NodeRun] | None = None) -> None:
        self.run = run
        self.owner = owner
        stored = run.node_runs.all() if node_runs is None else node_runs
        self.node_runs: dict[str, NodeRun] = {nr.node_id: nr for nr in stored}
        self._pending: dict[str, NodeRun] = {}
        self._events: list[Event] = []
        self._run_update: dict[str, Any] = {}
        #: Writes of other tables that belong with this run's next write (a parked batch call).
        self._with_write: list[Callable[[], None]] = []
        #: What to do once this run's next write has committed (a delayed message).
        self._after_commit: list[Callable[[], None]] = []
        #: True once a write released the lease (the run ended or waits without it).
        self.released = False

    def defer(
        self, node_runs: Iterable[NodeRun] = (), events: Iterable[Event] = (), run_update: dict[str, Any] | None = None
    ) -> None:
        """Remember changes to write at the next durability point."""
        self._run_update.update(run_update or {})
        for node_run in node_runs:
            self.node_runs[node_run.node_id] = node_run
            self._pending[node_run.node_id] = node_run
        self._events.extend(events)

    def with_write(self, action: Callable[[], None]) -> None:
        """Run ``action`` inside the next write's transaction, once the run's row was accepted."""
        self._with_write.append(action)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the next write's transaction is done (not at all when the write is refused)."""
        self._after_commit.append(action)

    @property
    def pending(self) -> bool:
        return bool(self._pending or self._events or self._run_update or self._with_write or self._after_commit)

    def write(
        self, node_runs: Iterable[NodeRun] = (), events: Iterable[Event] = (), run_update: dict[str, Any] | None = None
    ) -> bool:
        """Write the deferred changes and these now, in a transaction of this run alone."""
        self.defer(node_runs, events, run_update)
        return write_group([self])[0]

    # -- used by write_group ---------------------------------------------------------------

    def _take(self) -> tuple[dict[str, Any], list[NodeRun], list[Event]]:
        update, self._run_update = self._run_update, {}
        pending, self._pending = list(self._pending.values()), {}
        events, self._events = self._events, []
        if events:
            update["last_seq"] = self.run.last_seq + len(events)
        return update, pending, events

    def _apply_row(self, update: dict[str, Any]) -> bool:
        """Change the run's row if the lease is still ours and the run not cancelled.

        Events reserve their sequence numbers in the same statement (``last_seq``
        as this worker last wrote it, compared and advanced), so every write with
        events checks the lease without an extra round trip.
        """
        if not update:
            return True
        rows = Run.objects.filter(pk=self.run.pk, lease_owner=self.owner).exclude(status=RunStatus.CANCELLED)
        if "last_seq" in update:
            rows = rows.filter(last_seq=self.run.last_seq)
        if not rows.update(**update):
            return False
        for field, value in update.items():
            setattr(self.run, field, value)
        self.released = self.released or update.get("lease_owner") == ""
        return True


def write_group(recorders: Sequence[RunRecorder]) -> list[bool]:
    """One transaction for the deferred changes of ``recorders``; whether each run's were written.

    Rows are written in a fixed order — run rows, new node runs, changed node
    runs, events — so each table costs one statement for the whole group.
    """
    accepted: list[bool] = []
    new: list[NodeRun] = []
    old: list[NodeRun] = []
    events: list[tuple[Run, list[Event]]] = []
    then: list[Callable[[], None]] = []
    with transaction.atomic():
        for recorder in recorders:
            update, pending, run_events = recorder._take()
            with_write, recorder._with_write = recorder._with_write, []
            after_commit, recorder._after_commit = recorder._after_commit, []
            if not recorder._apply_row(update):
                accepted.append(False)
                continue
            accepted.append(True)
            new.extend(nr for nr in pending if nr.pk is None)
            old.extend(nr for nr in pending if nr.pk is not None)
            events.append((recorder.run, run_events))
            for action in with_write:
                action()
            then.extend(after_commit)
        _save_node_runs(new, old, [r for r, ok in zip(recorders, accepted, strict=True) if ok])
        record_run_events(events, allocated=True)
    # After the block, not on_commit: the same in a test's enclosing transaction as in production.
    for action in then:
        action()
    return accepted


def _save_node_runs(new: list[NodeRun], old: list[NodeRun], recorders: Sequence[RunRecorder]) -> None:
    if new:
        NodeRun.objects.bulk_create(new)
        if any(nr.pk is None for nr in new):  # a database that does not return ids
            by_run = {recorder.run.pk: recorder for recorder in recorders}
            stored = NodeRun.objects.filter(run__in=list(by_run), node_id__in={nr.node_id for nr in new})
            for node_run in stored:
                by_run[node_run.run_id].node_runs[node_run.node_id] = node_run
    if len(old) == 1:
        NodeRun.objects.filter(pk=old[0].pk).update(**{name: getattr(old[0], name) for name in NODE_RUN_FIELDS})
    elif old:
        NodeRun.objects.bulk_update(old, NODE_RUN_FIELDS)
