"""The scheduler tick: polls due triggers, fires due schedules, and resumes stalled runs.

Safe to run in several processes at once: each poll and each schedule firing
is claimed with a conditional update first, and runs are deduplicated by
event key.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from connectors.sdk.nodes import PollingTrigger
from connectors.sdk.registry import node_types
from engine import leases, versions
from engine.batching import release_stalled_batches
from engine.context import EngineContext
from engine.core.graph import NodeSpec
from engine.core.states import RunStatus
from engine.dispatch import enqueue_run
from engine.models import NodeState, Run
from engine.services import start_run

logger = logging.getLogger(__name__)

#: How long a run may sit unclaimed before the sweep enqueues it again.
STALL_GRACE = dt.timedelta(seconds=30)


@dataclass
class TickReport:
    polled: int = 0
    runs_started: int = 0
    schedules_fired: int = 0
    resumed: int = 0
    errors: list[str] = field(default_factory=list)


def tick(now: dt.datetime | None = None) -> TickReport:
    """One pass of everything time-driven."""
    now = now or timezone.now()
    report = TickReport()
    report.resumed = resume_stalled_runs(now)
    release_stalled_batches(now, leases.lease_duration())
    for hook in settings.LEDGERLINE_ENGINE.get("TICK_HOOKS", []):
        try:
            import_string(hook)(now)
        except Exception as exc:
            logger.exception("scheduler hook %s failed", hook)
            report.errors.append(f"{hook}: {type(exc).__name__}")
    for workflow, version, spec in trigger_nodes():
        node_type = node_types.get(spec.type)
        kind = type(node_type).trigger_kind()
        try:
            if kind == "poll" and isinstance(node_type, PollingTrigger):
                started = poll_trigger(workflow, version, spec, node_type, now)
                if started is not None:
                    report.polled += 1
                    report.runs_started += started
            elif kind == "schedule" and fire_schedule(workflow, version, spec, now):
                report.schedules_fired += 1
        except Exception as exc:
            logger.exception("trigger %s of workflow %s failed", spec.id, workflow.pk)
            report.errors.append(f"{workflow.pk}/{spec.id}: {type(exc).__name__}")
    return report


def trigger_nodes() -> list[tuple[Any, Any, NodeSpec]]:
    """``(workflow, latest version, trigger node)`` for every active workflow's poll and schedule triggers."""
    workflow_model = Run._meta.get_field("workflow").related_model
    found = []
    for workflow in workflow_model.objects.filter(active=True, is_template=False):  # type: ignore[union-attr]
        version = workflow.versions.order_by("-number").first()
        if version is None:
            continue
        version = versions.remember(version)
        graph = versions.graph_of(version)
        for spec in graph.nodes.values():
            if spec.type in node_types and node_types.get_class(spec.type).trigger_kind() in {"poll", "schedule"}:
                found.append((workflow, version, spec))
    return found


def resume_stalled_runs(now: dt.datetime, limit: int = 500) -> int:
    """Enqueue runs no worker is advancing: expired leases, lost messages, overdue waits.

    A lease can expire in any unfinished state: a worker that claimed a pending
    run, or woke a waiting one, dies before its first write leaves the old status.
    """
    stalled = Run.objects.filter(
        Q(status__in=leases.ACTIVE_STATES, lease_expires_at__lt=now)
        | Q(status=RunStatus.RUNNING, lease_expires_at__isnull=True, started_at__lt=now - STALL_GRACE)
        | Q(status=RunStatus.PENDING, lease_expires_at__isnull=True, created_at__lt=now - STALL_GRACE)
        | Q(status=RunStatus.WAITING, lease_expires_at__isnull=True, wake_at__lt=now - STALL_GRACE)
    ).values_list("pk", flat=True)[:limit]
    count = 0
    for run_id in stalled:
        enqueue_run(str(run_id), on_commit=False)
        count += 1
    return count


def _claim(state: NodeState, next_at: dt.datetime) -> bool:
    """Take the right to act on ``state`` now; False when another scheduler did."""
    return bool(NodeState.objects.filter(pk=state.pk, next_poll_at=state.next_poll_at).update(next_poll_at=next_at))


def poll_trigger(
    workflow: Any, version: Any, spec: NodeSpec, node_type: PollingTrigger, now: dt.datetime
) -> int | None:
    """Poll one trigger if it is due; the number of runs started, or None when not due."""
    state, _ = NodeState.objects.get_or_create(workflow=workflow, node_id=spec.id)
    if state.next_poll_at is not None and state.next_poll_at > now:
        return None
    interval = int(spec.config.get("interval") or type(node_type).default_interval)
    if not _claim(state, now + dt.timedelta(seconds=interval)):
        return None
    context = EngineContext(
        run_id="",
        workflow_id=str(workflow.pk),
        organization_id=workflow.organization_id,
        node_id=spec.id,
        attempt=1,
        config=spec.config,
        trigger=None,
        connection_kind=type(node_type).connection_kind,
    )
    cursor = state.data.get("cursor")
    try:
        result = node_type.poll(context, cursor)
    except Exception as exc:
        NodeState.objects.filter(pk=state.pk).update(last_poll_at=now, last_poll_error=str(exc)[:2000])
        raise
    started = 0
    with transaction.atomic():
        for event in result.events:
            _, created = start_run(
                workflow_version=version,
                input=event.payload,
                trigger_node_id=spec.id,
                event_key=event.key,
                triggered_by="poll",
            )
            started += int(created)
        # The cursor moves in the same transaction as the runs it produced.
        fresh = NodeState.objects.select_for_update().get(pk=state.pk)
        fresh.data = {**fresh.data, "cursor": dict(result.cursor)}
        fresh.last_poll_at = now
        fresh.last_success_at = now
        fresh.last_poll_error = ""
        if result.more:
            fresh.next_poll_at = now
        fresh.save(
            update_fields=["data", "last_poll_at", "last_success_at", "last_poll_error", "next_poll_at", "updated_at"]
        )
    return started


def next_fire_time(cron: str, after: dt.datetime, tz_name: str = "UTC") -> dt.datetime:
    """The first time after ``after`` that ``cron`` matches, in UTC."""
    local = after.astimezone(ZoneInfo(tz_name))
    fire: dt.datetime = croniter(cron, local).get_next(dt.datetime)
    return fire.astimezone(dt.UTC)


def fire_schedule(workflow: Any, version: Any, spec: NodeSpec, now: dt.datetime) -> bool:
    """Start a run if the schedule is due; True when one was started."""
    cron = str(spec.config.get("cron") or "")
    tz_name = str(spec.config.get("timezone") or "UTC")
    state, _ = NodeState.objects.get_or_create(workflow=workflow, node_id=spec.id)
    if state.next_poll_at is None:
        first = next_fire_time(cron, now, tz_name)
        NodeState.objects.filter(pk=state.pk, next_poll_at__isnull=True).update(next_poll_at=first)
        return False
    if state.next_poll_at > now:
        return False
    due = state.next_poll_at
    if not _claim(state, next_fire_time(cron, max(now, due), tz_name)):
        return False
    _, created = start_run(
        workflow_version=version,
        input={"scheduled_for": due.isoformat()},
        trigger_node_id=spec.id,
        event_key=f"schedule:{due.isoformat()}",
        triggered_by="schedule",
    )
    return created
