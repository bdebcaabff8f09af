"""The dead-letter queue: runs that failed for good, waiting for a person to replay or discard them.

A run is in the queue while it has ended as ``failed`` or ``dead`` and has no
resolution. Replaying goes through the effect ledger like any run, so it is
always safe; a run that was already replayed or discarded is never replayed
again, so a bulk replay can be repeated without effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engine.core.states import RunStatus
from engine.fanout import replay_run
from engine.models import Run
from engine.versions import load_graph

DEAD_STATES = [RunStatus.FAILED, RunStatus.DEAD]


class NotInQueue(Exception):
    """The run is not (or no longer) in the dead-letter queue."""


def dead_letters(*, organization_id: int) -> QuerySet[Run]:
    return Run.objects.filter(workflow__organization_id=organization_id, status__in=DEAD_STATES, resolution="")


def failing_node(run: Run) -> str:
    """The node a dead run failed at (the first node if it never started one)."""
    node_id = (run.error or {}).get("node_id")
    if node_id:
        return str(node_id)
    graph = load_graph(run)
    return run.trigger_node_id or graph.order[0]


def human_reason(run: Run) -> str:
    error = run.error or {}
    node = error.get("node_id")
    message = error.get("message", "the run failed")
    where = f"node {node}: " if node else ""
    if error.get("gave_up_after_attempts"):
        return f"{where}{message} (gave up after {error['gave_up_after_attempts']} attempts)"
    return f"{where}{message}"


def _claim(run_id: Any, resolution: str, note: str, by: str) -> Run:
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.status not in DEAD_STATES or run.resolution:
            raise NotInQueue(f"run {run.pk} is not in the dead-letter queue ({run.status}, {run.resolution or 'open'})")
        run.resolution = resolution
        run.resolution_note = note[:2000]
        run.resolved_at = timezone.now()
        run.resolved_by = by[:150]
        run.save(update_fields=["resolution", "resolution_note", "resolved_at", "resolved_by"])
    return run


def replay_dead_letter(run: Run, *, by: str, from_node: str | None = None, edited_input: Any = None) -> Run:
    """Replay a dead run from its failing node (or ``from_node``), optionally with an edited item."""
    start_node = from_node or failing_node(run)
    graph = load_graph(run)
    if start_node not in graph.nodes:
        raise NotInQueue(f"node {start_node!r} is not part of this run's workflow version")
    claimed = _claim(run.pk, "replayed", f"replayed from {start_node}", by)
    return replay_run(claimed, start_node, graph, edited_input=edited_input)


def discard_dead_letter(run: Run, *, by: str, note: str) -> Run:
    """Take a run out of the queue without replaying it; the note says why."""
    if not note.strip():
        raise NotInQueue("say why the run is discarded (a note is required)")
    return _claim(run.pk, "discarded", note, by)


@dataclass
class BulkReplay:
    replayed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def replay_many(runs: QuerySet[Run], *, by: str, limit: int = 1000) -> BulkReplay:
    """Replay every run in ``runs`` that is still in the queue; others are skipped."""
    report = BulkReplay()
    for run in runs.order_by("created_at")[:limit]:
        try:
            replay = replay_dead_letter(run, by=by)
        except NotInQueue:
            report.skipped.append(str(run.pk))
            continue
        report.replayed.append(str(replay.pk))
    return report
