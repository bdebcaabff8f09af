"""Run leases: at most one worker advances a run at a time, and a dead worker's run is taken over."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.db import instances, selected_columns
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
    release_many([run_id], owner)


def release_many(run_ids: Sequence[Any], owner: str) -> None:
    """Let go of the leases ``owner`` still holds on ``run_ids`` (one statement)."""
    Run.objects.filter(pk__in=list(run_ids), lease_owner=owner).update(lease_owner="", lease_expires_at=None)


def _claim_sql(which: str) -> str:
    """Claim the runs ``which`` selects (a condition on ``r``) and return them with what loading needs."""
    run = Run._meta
    workflow = run.get_field("workflow").related_model._meta  # type: ignore[union-attr]
    version = run.get_field("workflow_version").related_model._meta  # type: ignore[union-attr]
    return (
        f"UPDATE {run.db_table} AS r SET lease_owner = %s, lease_expires_at = %s, "  # noqa: S608 - names from models
        "crash_count = CASE WHEN r.lease_owner = '' THEN r.crash_count ELSE r.crash_count + 1 END "
        f"FROM {workflow.db_table} AS w, {version.db_table} AS v "
        f"WHERE {which} AND w.id = r.workflow_id AND v.id = r.workflow_version_id "
        f"RETURNING {selected_columns(Run, 'r')}, w.organization_id, v.created_at"
    )


#: What a claim returns after the run's own columns.
_CLAIMED_EXTRA = ("claimed_organization_id", "claimed_version_created_at")


def _claimed(sql: str, params: Sequence[Any]) -> list[Run]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return instances(Run, cursor.fetchall(), _CLAIMED_EXTRA)


def _states() -> str:
    return ", ".join(["%s"] * len(ACTIVE_STATES))


@lru_cache(maxsize=1)
def _claim_one_sql() -> str:
    return _claim_sql(
        f"r.id = %s AND r.status IN ({_states()}) AND (r.lease_expires_at IS NULL OR r.lease_expires_at < %s)"
    )


@lru_cache(maxsize=1)
def _claim_due_sql() -> str:
    # SKIP LOCKED: workers claiming at the same time take different runs instead of queueing
    # on each other's rows. The partial index on unfinished runs keeps this off the finished ones.
    # The order is the expression of the index engine_run_due: due runs come first, and the
    # scan stops at the first run due later (nothing due: next to no work).
    due = (
        f"SELECT id FROM {Run._meta.db_table} WHERE status IN ({_states()}) "  # noqa: S608 - names from models
        "AND COALESCE(wake_at, created_at) <= %s "
        "AND (lease_expires_at IS NULL OR lease_expires_at < %s) AND (status <> %s OR wake_at <= %s) "
        "ORDER BY COALESCE(wake_at, created_at) LIMIT %s FOR UPDATE SKIP LOCKED"
    )
    return _claim_sql(f"r.id IN ({due})")


def _loaded(run: Run) -> Run:
    """A run claimed without the joined columns (other databases): read them."""
    loaded = Run.objects.select_related("workflow", "workflow_version").get(pk=run.pk)
    loaded.claimed_organization_id = loaded.workflow.organization_id  # type: ignore[attr-defined]
    loaded.claimed_version_created_at = loaded.workflow_version.created_at  # type: ignore[attr-defined]
    return loaded


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
        return _loaded(Run(pk=run_id)), None
    now = timezone.now()
    params = [owner, now + lease_duration(), run_id, *[str(s) for s in ACTIVE_STATES], now]
    rows = _claimed(_claim_one_sql(), params)
    if rows:
        return rows[0], None
    row = Run.objects.filter(pk=run_id).values("status", "lease_expires_at").first()
    if row is None or row["status"] in FINAL_RUN_STATES:
        return None, None
    return None, row["lease_expires_at"]


def due_filter(now: dt.datetime) -> Q:
    """Runs a worker may take up now: unfinished, no live lease, and not waiting for a later time."""
    return (
        Q(status__in=ACTIVE_STATES)
        & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        & (~Q(status=RunStatus.WAITING) | Q(wake_at__lte=now))
    )


def claim_due(owner: str, limit: int) -> list[Run]:
    """Claim up to ``limit`` runs that are due (longest due first), loaded as :func:`claim_and_load` loads one.

    Whoever asks gets different runs from anyone asking at the same time, so
    a message saying "runs are due" can be answered by any worker, and one
    worker can take up several runs together.
    """
    now = timezone.now()
    if connection.vendor != "postgresql":
        # One writer at a time (SQLite): take the candidates one by one.
        due_first = Coalesce("wake_at", "created_at")
        candidates = Run.objects.filter(due_filter(now)).order_by(due_first).values_list("pk", flat=True)
        claimed = []
        for run_id in list(candidates[:limit]):
            if try_claim(str(run_id), owner)[0]:
                claimed.append(_loaded(Run(pk=run_id)))
        return claimed
    states = [str(s) for s in ACTIVE_STATES]
    params = [owner, now + lease_duration(), *states, now, now, str(RunStatus.WAITING), now, limit]
    runs = _claimed(_claim_due_sql(), params)
    runs.sort(key=lambda run: run.created_at)
    return runs
