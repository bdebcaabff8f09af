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

from django.db import connection, transaction

from engine.core.states import RunStatus
from engine.db import create_all, update_from_values
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
        self._with_write: list[tuple[Callable[[list[Any]], None], Any]] = []
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

    def with_write(self, action: Callable[[list[Any]], None], item: Any) -> None:
        """Have ``action`` write ``item`` in the next write's transaction, once the run's row was accepted.

        ``action`` is called once per group written together, with the items of
        all its runs (one statement for all of them, not one per run).
        """
        self._with_write.append((action, item))

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

    Rows are written table by table — run rows, new node runs, changed node
    runs, events — so each table costs one statement for the whole group
    (run rows: one per set of changed columns, on PostgreSQL).
    """
    taken = [(recorder, *recorder._take()) for recorder in recorders]
    new: list[NodeRun] = []
    old: list[NodeRun] = []
    events: list[tuple[Run, list[Event]]] = []
    then: list[Callable[[], None]] = []
    together: dict[Callable[[list[Any]], None], list[Any]] = {}
    with transaction.atomic():
        accepted = _apply_rows([(recorder, update) for recorder, update, _, _ in taken])
        for (recorder, _, pending, run_events), ok in zip(taken, accepted, strict=True):
            with_write, recorder._with_write = recorder._with_write, []
            after_commit, recorder._after_commit = recorder._after_commit, []
            if not ok:
                continue
            new.extend(nr for nr in pending if nr.pk is None)
            old.extend(nr for nr in pending if nr.pk is not None)
            events.append((recorder.run, run_events))
            for action, item in with_write:
                together.setdefault(action, []).append(item)
            then.extend(after_commit)
        for write_items, items in together.items():
            write_items(items)
        _save_node_runs(new, old, [r for r, ok in zip(recorders, accepted, strict=True) if ok])
        record_run_events(events, allocated=True)
    # After the block, not on_commit: the same in a test's enclosing transaction as in production.
    for later in then:
        later()
    return accepted


def _apply_rows(updates: Sequence[tuple[RunRecorder, dict[str, Any]]]) -> list[bool]:
    """Each run's row changes, refused where the lease is lost or the run cancelled; whether each went in."""
    if connection.vendor != "postgresql":
        return [recorder._apply_row(update) for recorder, update in updates]
    accepted: set[Any] = set()
    by_columns: dict[tuple[str, ...], list[tuple[RunRecorder, dict[str, Any]]]] = {}
    for recorder, update in updates:
        if update:
            by_columns.setdefault(tuple(sorted(update)), []).append((recorder, update))
        else:
            accepted.add(recorder.run.pk)
    for names, group in by_columns.items():
        accepted.update(_update_runs(names, group))
    results = []
    for recorder, update in updates:
        ok = recorder.run.pk in accepted
        if ok and update:
            for name, value in update.items():
                setattr(recorder.run, name, value)
            recorder.released = recorder.released or update.get("lease_owner") == ""
        results.append(ok)
    return results


def _update_runs(names: tuple[str, ...], group: Sequence[tuple[RunRecorder, dict[str, Any]]]) -> set[Any]:
    """The same columns of several runs in one statement, each guarded like ``_apply_row``."""
    fields = [Run._meta.get_field(name) for name in names]
    rows = [
        [recorder.run.pk, recorder.owner, recorder.run.last_seq if "last_seq" in update else None]
        + [update[name] for name in names]
        for recorder, update in group
    ]
    changed = update_from_values(
        Run,
        [("id", "uuid"), ("owner", "varchar"), ("expected_seq", "integer")],
        fields,
        rows,
        where="t.id = v.id AND t.lease_owner = v.owner AND t.status <> %s "
        "AND (v.expected_seq IS NULL OR t.last_seq = v.expected_seq)",
        where_params=[str(RunStatus.CANCELLED)],
        returning="t.id",
    )
    return {row[0] for row in changed}


def _save_node_runs(new: list[NodeRun], old: list[NodeRun], recorders: Sequence[RunRecorder]) -> None:
    create_all(NodeRun, new)
    if any(nr.pk is None for nr in new):  # a database that does not return ids
        by_run = {recorder.run.pk: recorder for recorder in recorders}
        stored = NodeRun.objects.filter(run__in=list(by_run), node_id__in={nr.node_id for nr in new})
        for node_run in stored:
            by_run[node_run.run_id].node_runs[node_run.node_id] = node_run
    if len(old) == 1 or (old and connection.vendor != "postgresql"):
        for node_run in old:
            NodeRun.objects.filter(pk=node_run.pk).update(**{name: getattr(node_run, name) for name in NODE_RUN_FIELDS})
    elif old:
        fields = [NodeRun._meta.get_field(name) for name in NODE_RUN_FIELDS]
        rows = [[node_run.pk] + [getattr(node_run, name) for name in NODE_RUN_FIELDS] for node_run in old]
        pk: Any = NodeRun._meta.pk
        key = [("id", str(pk.rel_db_type(connection)))]
        update_from_values(NodeRun, key, fields, rows, where="t.id = v.id")
