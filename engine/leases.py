"""Run leases: at most one worker advances a run at a time, and a dead worker's run is taken over."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, Q, When
from django.utils import timezone

from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import Run

ACTIVE_STATES = [RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING]


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LEDGERLINE_ENGINE["RUN_LEASE_SECONDS"])


def new_owner() -> str:
    return uuid.uuid4().hex


def try_claim(run_id: str, owner: str) -> tuple[bool, dt.datetime | None]:
    """Take the lease of an unfinished run whose lease is free or expired.

    Returns ``(claimed, held_until)``: when another live worker holds the lease,
    ``held_until`` says when it expires. A lease that expired while held (its
    worker died) counts as a crash of the run.
    """
    now = timezone.now()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    # One statement: a lease left behind by a dead worker counts as a crash of the run.
    claimed = (
        Run.objects.filter(pk=run_id, status__in=ACTIVE_STATES)
        .filter(free)
        .update(
            lease_owner=owner,
            lease_expires_at=now + lease_duration(),
            crash_count=Case(When(lease_owner="", then=F("crash_count")), default=F("crash_count") + 1),
        )
    )
    if claimed:
        return True, None
    row = Run.objects.filter(pk=run_id).values("status", "lease_expires_at").first()
    if row is None or row["status"] in FINAL_RUN_STATES:
        return False, None
    return False, row["lease_expires_at"]


def renew(run_id: str, owner: str) -> bool:
    """Extend the lease; False when it was lost or the run was cancelled meanwhile."""
    return bool(
        Run.objects.filter(pk=run_id, lease_owner=owner)
        .exclude(status=RunStatus.CANCELLED)
        .update(lease_expires_at=timezone.now() + lease_duration())
    )


def release(run_id: str, owner: str) -> None:
    Run.objects.filter(pk=run_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None)


def _claim_and_load_sql() -> str:
    run = Run._meta
    workflow = run.get_field("workflow").related_model._meta  # type: ignore[union-attr]
    version = run.get_field("workflow_version").related_model._meta  # type: ignore[union-attr]
    states = ", ".join(["%s"] * len(ACTIVE_STATES))
    return (
        f"UPDATE {run.db_table} AS r SET lease_owner = %s, lease_expires_at = %s, "  # noqa: S608 - names from models
        "crash_count = CASE WHEN r.lease_owner = '' THEN r.crash_count ELSE r.crash_count + 1 END "
        f"FROM {workflow.db_table} AS w, {version.db_table} AS v "
        f"WHERE r.id = %s AND r.status IN ({states}) "
        "AND (r.lease_expires_at IS NULL OR r.lease_expires_at < %s) "
        "AND w.id = r.workflow_id AND v.id = r.workflow_version_id "
        "RETURNING r.*, w.organization_id AS claimed_organization_id, v.created_at AS claimed_version_created_at"
    )


def claim_and_load(run_id: str, owner: str) -> tuple[Run | None, dt.datetime | None]:
    """:func:`try_claim` and the run's row in one statement where the database allows it.

    Returns ``(run, None)`` when claimed; the run carries ``claimed_organization_id``
    and ``claimed_version_created_at`` (its workflow's organisation, its version's
    creation time: enough to take the version from :mod:`engine.versions`).
    ``(None, held_until)`` as :func:`try_claim` otherwise.
    """
    if connection.vendor != "postgresql":
        claimed, held_until = try_claim(run_id, owner)
        if not claimed:
            return None, held_until
        run = Run.objects.select_related("workflow", "workflow_version").get(pk=run_id)
        run.claimed_organization_id = run.workflow.organization_id  # type: ignore[attr-defined]
        run.claimed_version_created_at = run.workflow_version.created_at  # type: ignore[attr-defined]
        return run, None
    now = timezone.now()
    params = [owner, now + lease_duration(), run_id, *[str(s) for s in ACTIVE_STATES], now]
    rows = list(Run.objects.raw(_claim_and_load_sql(), params))
    if rows:
        return rows[0], None
    row = Run.objects.filter(pk=run_id).values("status", "lease_expires_at").first()
    if row is None or row["status"] in FINAL_RUN_STATES:
        return None, None
    return None, row["lease_expires_at"]
