"""Writing a run's state: node runs and events, buffered for pure nodes.

Pure nodes (no side effects) change nothing outside the run, so their results
may wait in memory and be written together at the next durability point: a
side effect, a wait, or the end of the run. If the worker dies first, those
nodes simply run again. Everything else is written at once, in one
transaction per change, with its events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from engine.core.states import RunStatus
from engine.events import record_events
from engine.models import NodeRun, Run

Event = tuple[str, str, dict[str, Any]]

#: Node-run fields a step may change.
NODE_RUN_FIELDS = [
    "node_type", "status", "attempts", "waits", "input", "output", "error", "logs",
    "started_at", "finished_at", "next_attempt_at",
]  # fmt: skip


class RunRecorder:
    """The in-memory node runs of one claimed run, and the writes not yet made."""

    def __init__(self, run: Run, owner: str) -> None:
        self.run = run
        self.owner = owner
        self.node_runs: dict[str, NodeRun] = {nr.node_id: nr for nr in run.node_runs.all()}
        self._pending: dict[str, NodeRun] = {}
        self._events: list[Event] = []
        self._run_update: dict[str, Any] = {}
        #: True once a write released the lease (the run ended).
        self.released = False

    def defer(
        self, node_runs: Iterable[NodeRun], events: Iterable[Event], run_update: dict[str, Any] | None = None
    ) -> None:
        """Remember changes to write at the next :meth:`write`."""
        self._run_update.update(run_update or {})
        for node_run in node_runs:
            self.node_runs[node_run.node_id] = node_run
            self._pending[node_run.node_id] = node_run
        self._events.extend(events)

    def write(
        self, node_runs: Iterable[NodeRun] = (), events: Iterable[Event] = (), run_update: dict[str, Any] | None = None
    ) -> bool:
        """One transaction: the deferred changes, then these, then ``run_update`` on the run row.

        The run row is only changed while this worker holds the lease and the
        run is not cancelled; otherwise nothing is written and False is returned.
        Events reserve their sequence numbers in the same statement (the run's
        ``last_seq`` as this worker last wrote it, compared and advanced), so
        every write with events checks the lease, and costs no extra round trip.
        """
        self.defer(node_runs, events, run_update)
        update, self._run_update = self._run_update, {}
        if self._events:
            update["last_seq"] = self.run.last_seq + len(self._events)
        with transaction.atomic():
            if update:
                rows = Run.objects.filter(pk=self.run.pk, lease_owner=self.owner).exclude(status=RunStatus.CANCELLED)
                if "last_seq" in update:
                    rows = rows.filter(last_seq=self.run.last_seq)
                if not rows.update(**update):
                    return False
                for field, value in update.items():
                    setattr(self.run, field, value)
                self.released = self.released or update.get("lease_owner") == ""
            self._flush()
        return True

    def _flush(self) -> None:
        pending, self._pending = list(self._pending.values()), {}
        events, self._events = self._events, []
        new = [nr for nr in pending if nr.pk is None]
        old = [nr for nr in pending if nr.pk is not None]
        if new:
            NodeRun.objects.bulk_create(new)
            if any(nr.pk is None for nr in new):  # a database that does not return ids
                stored = NodeRun.objects.filter(run=self.run, node_id__in=[nr.node_id for nr in new])
                self.node_runs.update({nr.node_id: nr for nr in stored})
        if len(old) == 1:
            NodeRun.objects.filter(pk=old[0].pk).update(**{name: getattr(old[0], name) for name in NODE_RUN_FIELDS})
        elif old:
            NodeRun.objects.bulk_update(old, NODE_RUN_FIELDS)
        record_events(self.run, events, allocated=True)
