"""Run leases: at most one worker advances a run at a time, and a dead worker's run is taken over."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
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
