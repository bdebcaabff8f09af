"""Starting, cancelling, retrying and replaying runs: what the API, triggers and commands call."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from engine.core.jsonsafe import to_json
from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.dispatch import enqueue_run
from engine.events import record_events
from engine.fanout import replay_run
from engine.models import Run
from engine.versions import load_graph


class RunNotAllowed(Exception):
    """The requested action does not fit the run's state (the message says why)."""


def start_run(
    *,
    workflow_version: Any,
    input: Any,
    trigger_node_id: str = "",
    event_key: str | None = None,
    triggered_by: str = "",
) -> tuple[Run, bool]:
    """Create a run and enqueue it once the transaction commits.

    Returns ``(run, created)``. With an ``event_key``, a second start for the
    same workflow, trigger node and key returns the first run and creates
    nothing (duplicate webhook deliveries, overlapping polls).
    """
    payload = to_json(input)
    try:
        with transaction.atomic():
            run = Run.objects.create(
                workflow_id=workflow_version.workflow_id,
                workflow_version=workflow_version,
                trigger_node_id=trigger_node_id,
                event_key=event_key,
                input=payload,
                triggered_by=triggered_by[:100],
                last_seq=1,  # its first event, below: a new run needs no sequence allocation
            )
            record_events(
                run,
                [("run.created", "", {"trigger_node_id": trigger_node_id, "version": workflow_version.number})],
                allocated=True,
            )
            enqueue_run(str(run.pk))
    except IntegrityError:
        if event_key is None:
            raise
        existing = Run.objects.get(
            workflow_id=workflow_version.workflow_id, trigger_node_id=trigger_node_id, event_key=event_key
        )
        return existing, False
    return run, True


def cancel_run(run: Run) -> Run:
    """Stop a run that has not finished; a node already executing completes first."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status in FINAL_RUN_STATES:
            raise RunNotAllowed(f"the run already ended as {locked.status}")
        locked.status = RunStatus.CANCELLED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        record_events(locked, [("run.cancelled", "", {})])
    return locked


def retry_run(run: Run, *, triggered_by: str = "") -> Run:
    """A new run of the same version with the same input, from the start."""
    new, _ = start_run(
        workflow_version=run.workflow_version,
        input=run.input,
        trigger_node_id=run.trigger_node_id,
        triggered_by=triggered_by or f"retry of {run.pk}",
    )
    Run.objects.filter(pk=new.pk).update(parent=run)
    return new


def replay_from(run: Run, from_node: str) -> Run:
    """A new run reusing ``run``'s results up to ``from_node`` and executing the rest.

    Raises:
        RunNotAllowed: the run is still going, or ``from_node`` is not in its workflow.
    """
    if run.status not in FINAL_RUN_STATES:
        raise RunNotAllowed("wait until the run ends (or cancel it) before replaying it")
    graph = load_graph(run)
    if from_node not in graph.nodes:
        raise RunNotAllowed(f"node {from_node!r} is not part of this run's workflow version")
    return replay_run(run, from_node, graph)
