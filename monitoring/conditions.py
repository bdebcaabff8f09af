"""What each kind of alert rule looks at: the incidents that are happening now.

Each function returns ``{incident key: (message, details)}`` for one rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from designer.models import Workflow
from engine.core.states import RunStatus
from engine.dead_letters import dead_letters
from engine.models import NodeState, Run
from monitoring.models import AlertRule

Incidents = dict[str, tuple[str, dict[str, Any]]]


def _workflows(rule: AlertRule) -> QuerySet[Workflow]:
    workflows = Workflow.objects.filter(organization=rule.organization, is_template=False)
    return workflows.filter(pk=rule.workflow_id) if rule.workflow_id else workflows


def dead_letter(rule: AlertRule, now: dt.datetime) -> Incidents:
    queue = dead_letters(organization_id=rule.organization_id).filter(workflow__in=_workflows(rule))
    counts = queue.values("workflow_id", "workflow__name").annotate(n=Count("id"))
    return {
        f"workflow:{row['workflow_id']}": (
            f"{row['n']} run(s) of {row['workflow__name']!r} are in the dead-letter queue",
            {"workflow_id": str(row["workflow_id"]), "count": row["n"]},
        )
        for row in counts
    }


def failure_rate(rule: AlertRule, now: dt.datetime) -> Incidents:
    threshold = float(rule.params.get("threshold", 0.2))
    window = dt.timedelta(minutes=float(rule.params.get("window_minutes", 15)))
    min_runs = int(rule.params.get("min_runs", 5))
    finished = Run.objects.filter(workflow__in=_workflows(rule), finished_at__gte=now - window)
    rows = finished.values("workflow_id", "workflow__name").annotate(
        total=Count("id"), failed=Count("id", filter=Q(status__in=[RunStatus.FAILED, RunStatus.DEAD]))
    )
    incidents: Incidents = {}
    for row in rows:
        rate = row["failed"] / row["total"]
        if row["total"] >= min_runs and rate >= threshold:
            incidents[f"workflow:{row['workflow_id']}"] = (
                f"{rate:.0%} of the runs of {row['workflow__name']!r} failed in the last "
                f"{window.total_seconds() / 60:g} minutes ({row['failed']} of {row['total']})",
                {"workflow_id": str(row["workflow_id"]), "failed": row["failed"], "total": row["total"]},
            )
    return incidents


def circuit_open(rule: AlertRule, now: dt.datetime) -> Incidents:
    incidents: Incidents = {}
    for connection in Connection.objects.filter(organization=rule.organization):
        state, wait = StoredConnection(connection).throttle().breaker_state()
        if state == "open":
            incidents[f"connection:{connection.pk}"] = (
                f"calls to {connection.name!r} are paused after repeated failures (next try in {wait:.0f} s)",
                {"connection_id": str(connection.pk)},
            )
    return incidents


def needs_reauth(rule: AlertRule, now: dt.datetime) -> Incidents:
    stale = Connection.objects.filter(organization=rule.organization, status=Connection.Status.NEEDS_REAUTH)
    return {
        f"connection:{connection.pk}": (
            f"{connection.name!r} needs to be authorised again: "
            f"{connection.status_detail or 'its credentials were refused'}",
            {"connection_id": str(connection.pk)},
        )
        for connection in stale
    }


def poll_stale(rule: AlertRule, now: dt.datetime) -> Incidents:
    limit = dt.timedelta(minutes=float(rule.params.get("minutes", 30)))
    states = NodeState.objects.filter(workflow__in=_workflows(rule).filter(active=True), last_poll_at__isnull=False)
    incidents: Incidents = {}
    for state in states.select_related("workflow"):
        last_success = state.last_success_at
        if last_success is None or now - last_success > limit:
            since = "never" if last_success is None else last_success.isoformat()
            incidents[f"poll:{state.workflow_id}:{state.node_id}"] = (
                f"{state.workflow.name!r} has had no successful poll of {state.node_id} since {since}"
                + (f": {state.last_poll_error}" if state.last_poll_error else ""),
                {"workflow_id": str(state.workflow_id), "node_id": state.node_id},
            )
    return incidents


CONDITIONS = {
    AlertRule.Kind.DEAD_LETTER: dead_letter,
    AlertRule.Kind.FAILURE_RATE: failure_rate,
    AlertRule.Kind.CIRCUIT_OPEN: circuit_open,
    AlertRule.Kind.NEEDS_REAUTH: needs_reauth,
    AlertRule.Kind.POLL_STALE: poll_stale,
}
