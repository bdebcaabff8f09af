"""Backfill: replay a polling trigger from a past date, page by page, into runs.

The trigger's own ``poll`` is driven with a private cursor starting at the
range's start, so the live poll's cursor is never touched; each page's runs are
stored (deduplicated by event key, so orders the live poll already took create
nothing) and the page is dropped before the next is fetched: memory stays flat
however many orders the range holds. Progress (count, rate, ETA) is kept on the
trigger's node state (``data["backfill"]``) after every page, for the API and
the UI, and handed to ``on_progress`` (the ``manage.py backfill`` command prints it).
The share done is the events seen out of the total the source reports for the
walk (the cursor's ``total``: Walmart's ``totalCount``), else the share of the
date range walked.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.sdk.nodes import PollingTrigger
from connectors.sdk.registry import node_types
from engine.context import EngineContext
from engine.models import NodeState
from engine.services import start_run


@dataclass
class Progress:
    """Where a backfill is: events seen, runs started, rate and an estimate of the time left."""

    status: str  # running | done | failed
    since: str
    until: str
    pages: int = 0
    events: int = 0
    started: int = 0
    duplicates: int = 0
    rate: float = 0.0  # events a second
    fraction: float = 0.0  # of the date range walked (by the events' modification times)
    eta_seconds: float | None = None
    error: str = ""

    def line(self) -> str:
        eta = "?" if self.eta_seconds is None else f"{self.eta_seconds:.0f} s"
        return (
            f"{self.events} orders ({self.started} new runs, {self.duplicates} already there), "
            f"{self.rate:.0f}/s, {100 * self.fraction:.0f}% of the range, ETA {eta}"
        )


def _walked(cursor: dict[str, Any], since_ms: int, until_ms: int, events: int = 0) -> float:
    """How much of the backfill is done: by the count the source reported, else by the dates walked."""
    total = cursor.get("total")
    if isinstance(total, int) and total > 0:
        return max(0.0, min(1.0, events / total))
    reached = int(cursor.get("walk_max") or cursor.get("since") or since_ms)
    return max(0.0, min(1.0, (reached - since_ms) / max(1, until_ms - since_ms)))


def run_backfill(
    workflow: Any,
    node_id: str,
    since: dt.datetime,
    until: dt.datetime | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    max_pages: int | None = None,
) -> Progress:
    """Start one run per event the trigger ``node_id`` finds from ``since`` until the source has no more.

    ``until`` (default: now) is the range's end for the progress estimate.

    Raises:
        ValueError: ``node_id`` is not a polling trigger of the workflow's latest version.
    """
    version = workflow.latest_version()
    spec = next((n for n in version.document["nodes"] if n["id"] == node_id), None)
    node_type = node_types.get(spec["type"]) if spec and spec["type"] in node_types else None
    if spec is None or not isinstance(node_type, PollingTrigger):
        raise ValueError(f"node {node_id!r} is not a polling trigger of workflow {workflow.pk}")
    until = until or timezone.now()
    since_ms, until_ms = int(since.timestamp() * 1000), int(until.timestamp() * 1000)
    context = EngineContext(
        run_id="",
        workflow_id=str(workflow.pk),
        organization_id=workflow.organization_id,
        node_id=node_id,
        attempt=1,
        config=spec.get("config") or {},
        trigger=None,
        connection_kind=type(node_type).connection_kind,
    )
    state, _ = NodeState.objects.get_or_create(workflow=workflow, node_id=node_id)
    progress = Progress(status="running", since=since.isoformat(), until=until.isoformat())
    cursor: dict[str, Any] = {"since": since_ms}
    began = time.monotonic()
    try:
        while True:
            result = node_type.poll(context, cursor)
            with transaction.atomic():
                for event in result.events:
                    _, created = start_run(
                        workflow_version=version,
                        input=event.payload,
                        trigger_node_id=node_id,
                        event_key=event.key,
                        triggered_by="backfill",
                    )
                    progress.started += int(created)
                    progress.duplicates += int(not created)
            progress.pages += 1
            progress.events += len(result.events)
            cursor = dict(result.cursor)
            elapsed = max(1e-6, time.monotonic() - began)
            progress.rate = progress.events / elapsed
            progress.fraction = 1.0 if not result.more else _walked(cursor, since_ms, until_ms, progress.events)
            progress.eta_seconds = elapsed * (1 - progress.fraction) / progress.fraction if progress.fraction else None
            _store(state, progress)
            if on_progress:
                on_progress(progress)
            if not result.more or (max_pages is not None and progress.pages >= max_pages):
                break
    except Exception as exc:
        progress.status, progress.error = "failed", str(exc)[:1000]
        _store(state, progress)
        raise
    progress.status, progress.fraction, progress.eta_seconds = "done", 1.0, 0.0
    _store(state, progress)
    if on_progress:
        on_progress(progress)
    return progress


def _store(state: NodeState, progress: Progress) -> None:
    with transaction.atomic():  # the row lock keeps the live poll's cursor from being overwritten
        fresh = NodeState.objects.select_for_update().get(pk=state.pk)
        fresh.data = {**fresh.data, "backfill": {**asdict(progress), "updated_at": timezone.now().isoformat()}}
        fresh.save(update_fields=["data", "updated_at"])


def backfill_progress(workflow: Any, node_id: str) -> dict[str, Any] | None:
    """The last stored progress of a backfill of ``node_id`` (for the API), or None."""
    data = NodeState.objects.filter(workflow=workflow, node_id=node_id).values_list("data", flat=True).first()
    return (data or {}).get("backfill")
