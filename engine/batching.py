"""Cross-run batching: many runs' calls to a batchable node travel in one remote request.

A run reaching a batchable node parks its call as a :class:`BatchItem` and
waits (it holds no worker). A flush, scheduled one batch window later, claims
up to a batch of parked calls with the same key, hands them to the node type's
``execute_batch`` in one go, stores each call's own result, and wakes each
run; the run then records the result like any node execution. A call's
failure fails only its own run.

How a flush claims and reads its calls is :mod:`engine.batch_claims`; when to
send is :mod:`engine.pacing`'s call: full batches at once, partial
ones after the batch window (up to ``BATCH_MAX_WAIT_MS`` on a rate-limited
connection, to fill up), nothing while the limiter admits no call.

A flush that dies mid-way leaves its items claimed; the scheduler's sweep
returns them to the queue after the run lease, and the next flush sends them
again. ``execute_batch`` implementations must therefore be idempotent per
element (the effect ledger and idempotency keys make them so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from connectors.sdk.errors import FailureKind, NodeError
from connectors.sdk.nodes import NodeType
from connectors.sdk.registry import node_types
from engine import leases, pacing
from engine.batch_claims import call_context, claim, read_parked
from engine.context import EngineContext
from engine.core.states import RunStatus
from engine.db import create_all, update_from_values
from engine.dispatch import enqueue_runs
from engine.execution import NodeOutcome, normalise_output
from engine.models import BatchItem, Run

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


def batch_key(node_type: str, config: Mapping[str, Any]) -> str:
    """Calls share a batch when node type, connection and configuration are all the same."""
    raw = json.dumps({"type": node_type, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:64]


@dataclass(frozen=True)
class Call:
    """A run's call to a batchable node, to be parked until its batch goes out."""

    run: Run
    node_id: str
    node_type: str
    attempt: int
    config: Mapping[str, Any]
    item: Any


def park(calls: Sequence[Call]) -> None:
    """Park calls (of runs written together: one read, one insert); their flushes are scheduled.

    A call parked before under the same attempt and already answered is a new
    call: a wait for a rate limit gives the attempt back, so the next try
    parks under the same number (else it would replay that answer for ever).
    """
    if not calls:
        return
    earlier = {
        (parked.run_id, parked.node_id, parked.attempt): parked
        for parked in BatchItem.objects.filter(run_id__in={call.run.pk for call in calls})
    }
    new, keys, now = [], set(), timezone.now()
    for call in calls:
        key = batch_key(call.node_type, call.config)
        keys.add(key)
        parked = earlier.get((call.run.pk, call.node_id, call.attempt))
        if parked is None:
            new.append(
                BatchItem(
                    run_id=call.run.pk,
                    node_id=call.node_id,
                    attempt=call.attempt,
                    batch_key=key,
                    node_type=call.node_type,
                    item=call.item,
                    created_at=now,
                )
            )
        elif parked.status == BatchItem.Status.DONE:
            fresh = {"status": BatchItem.Status.PENDING, "batch_key": key, "item": call.item, "outcome": None}
            BatchItem.objects.filter(pk=parked.pk).update(
                **fresh, batch_id="", claimed_at=None, created_at=timezone.now()
            )
    create_all(BatchItem, new)
    for key in sorted(keys):
        schedule_flush(key, delay_ms=int(settings.LEDGERLINE_ENGINE["BATCH_WINDOW_MS"]))


def schedule_flush(key: str, *, delay_ms: int = 0) -> None:
    """Ask for a flush of ``key`` in ``delay_ms`` (no second message when one is due by then)."""
    pacing.schedule_flush(key, delay_ms / 1000)


def outcome_of(parked: BatchItem) -> NodeOutcome | None:
    """The stored result of a parked call, or None while it has none."""
    if parked.status != BatchItem.Status.DONE or parked.outcome is None:
        return None
    stored = parked.outcome
    if "error" in stored:
        return NodeOutcome(
            error=stored["error"],
            failure_kind=FailureKind(stored["failure_kind"]),
            retry_after=stored.get("retry_after"),
        )
    return NodeOutcome(output=stored["output"])


def _stored(node_type: NodeType, result: Any, size: int) -> dict[str, Any]:
    if isinstance(result, NodeError):
        return {
            "error": result.as_dict(),
            "failure_kind": result.kind.value,
            "retry_after": getattr(result, "retry_after", None),
            "batch_size": size,
        }
    if isinstance(result, BaseException):
        return {
            "error": {
                "kind": "permanent",
                "code": "unexpected_error",
                "message": f"{type(result).__name__}: {result}"[:1000],
            },
            "failure_kind": FailureKind.PERMANENT.value,
            "batch_size": size,
        }
    try:
        output, _ = normalise_output(node_type, result)
    except NodeError as exc:
        return _stored(node_type, exc, size)
    return {"output": output, "batch_size": size}


def _batch_limit(node_type: NodeType) -> int:
    return min(type(node_type).batch_size, int(settings.LEDGERLINE_ENGINE["BATCH_MAX_ITEMS"]))


@dataclass(frozen=True)
class _KeyPlan:
    """What a flush learns of its batch key once: every call under a key shares node type and configuration."""

    node_type: NodeType
    limit: int
    #: The context the key's call budget is read through (its connection is loaded once).
    budget: EngineContext


def _plan_of(key: str) -> _KeyPlan | None:
    pending = BatchItem.objects.filter(batch_key=key, status=BatchItem.Status.PENDING).order_by("id")
    oldest = next(iter(read_parked(pending, limit=1)), None)
    if oldest is None:
        return None
    node_type = node_types.get(oldest.node_type)
    return _KeyPlan(node_type, _batch_limit(node_type), call_context(oldest, type(node_type)))


def next_flush_delay(key: str, plan: _KeyPlan | None = None) -> float:
    """Seconds until the next batch of ``key`` should go (0: now; -1: nothing is parked)."""
    plan = plan or _plan_of(key)
    if plan is None:
        return -1.0
    # Counted up to one batch, in one row: a backlog's batch-full of timestamps is not read.
    first = BatchItem.objects.filter(batch_key=key, status=BatchItem.Status.PENDING).order_by("id")[: plan.limit]
    found = BatchItem.objects.filter(pk__in=first.values("pk")).aggregate(pending=Count("pk"), oldest=Min("created_at"))
    if not found["pending"]:
        return -1.0
    backlog = pacing.Backlog(
        pending=found["pending"],
        oldest_age=(timezone.now() - found["oldest"]).total_seconds(),
        batch_max=plan.limit,
    )
    wait, limited = pacing.budget_of(plan.budget)
    return pacing.flush_delay(
        backlog,
        window=pacing.window_seconds(),
        max_wait=pacing.max_wait_seconds(),
        budget_wait=wait,
        rate_limited=limited,
    )


def flush_when_due(key: str) -> int:
    """The flush message: send batches while pacing says so, and schedule the next; returns the calls sent.

    Holds the key's flush lock from the decision to the stored results; full
    batches that the budget admits go one after the other (for up to a
    quarter of the run lease), then the next flush is scheduled. Meanwhile
    the key is marked as flushing (:func:`engine.pacing.flush_running`), so
    the runs parking calls send no messages; its last look, after the mark
    is gone, sees what they parked. A message that finds the lock taken by
    such a flush sends nothing; taken by anything else (a direct
    :func:`flush`), it comes back after a batch window, in case the holder
    never schedules.
    """
    with pacing.flush_lock(key) as alone:
        if not alone:
            if not pacing.flush_is_running(key):
                # This message is spent: left in place, its mark would say a flush is coming.
                pacing.flush_started(key)
                pacing.send_unless_due(key, pacing.window_seconds())
            return 0
        pacing.flush_running(key)
        sent = 0
        try:
            plan = _plan_of(key)
            delay = next_flush_delay(key, plan) if plan is not None else -1.0
            # While full batches are waiting and the budget admits them, send them one after the
            # other under this lock, without a message (and a worker's pick-up) between them.
            until = time.monotonic() + leases.lease_duration().total_seconds() / 4
            while plan is not None and delay == 0 and time.monotonic() < until:
                sent += _send(key, reschedule=False, plan=plan)
                delay = next_flush_delay(key, plan)
        finally:
            pacing.flush_started(key)
        # After the mark is gone: calls parked while it kept their messages away are counted here.
        delay = next_flush_delay(key, plan)
        if delay >= 0:
            pacing.schedule_flush(key, delay)
        return sent


def flush(key: str, *, reschedule: bool = True) -> int:
    """Send one batch for ``key`` now; returns how many calls it carried.

    Sends nothing (0) while another flush of ``key`` holds its lock: that one
    schedules the next flush.
    """
    with pacing.flush_lock(key) as alone:
        plan = _plan_of(key) if alone else None
        return _send(key, reschedule=reschedule, plan=plan) if plan else 0


def _send(key: str, *, reschedule: bool, plan: _KeyPlan) -> int:
    """Claim and send one batch of ``key``; the caller holds the key's flush lock."""
    node_type = plan.node_type
    claimed = claim(key, plan.limit)
    if not claimed:
        return 0
    # Every call of a key names the same connection: they share the one the plan loaded.
    shared = plan.budget.loaded_connection()
    calls = [(call_context(parked, type(node_type), shared), parked.item) for parked in claimed]
    try:
        results = node_type.execute_batch(calls)
    except NodeError as exc:  # the whole request failed: every call shares the failure
        results = [exc] * len(claimed)
    except Exception as exc:
        logger.exception("execute_batch of %s raised", claimed[0].node_type)
        results = [exc] * len(claimed)
    if len(results) != len(claimed):
        mismatch = NodeError(
            f"{claimed[0].node_type} returned {len(results)} results for {len(claimed)} calls", code="batch_mismatch"
        )
        results = [mismatch] * len(claimed)
    answered = []
    for parked, result, (context, _) in zip(claimed, results, calls, strict=True):
        outcome = _stored(node_type, result, len(claimed))
        if context.logs:
            outcome["logs"] = context.logs
        answered.append(BatchItem(pk=parked.pk, status=BatchItem.Status.DONE, outcome=outcome))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            fields = [BatchItem._meta.get_field("status"), BatchItem._meta.get_field("outcome")]
            rows = [[done.pk, done.status, done.outcome] for done in answered]
            update_from_values(BatchItem, [("id", "bigint")], fields, rows, where="t.id = v.id")
        else:
            BatchItem.objects.bulk_update(answered, ["status", "outcome"])
        wake(sorted({parked.run_id for parked in claimed}))
    if reschedule and BatchItem.objects.filter(batch_key=key, status=BatchItem.Status.PENDING).exists():
        schedule_flush(key)
    return len(claimed)


#: The runs a batch answered, found by primary key. The status is compared as an expression
#: the status index cannot serve: planned from statistics in which waiting runs are rare (a
#: history of finished runs, or a backlog still queued when they were taken), the status index
#: would walk every waiting run of a backlog instead of looking up the batch's 50.
_WAKE_SQL = f"UPDATE {Run._meta.db_table} SET wake_at = %s WHERE id = ANY(%s) AND (status || '') = %s"  # noqa: S608


def wake(run_ids: list[Any]) -> None:
    """Make waiting runs due now (their batch answered) and announce them once the transaction commits.

    A run still holding its lease (it has not finished parking) is not due:
    its own write lets go of the lease, and its wake-up deadline remains.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_WAKE_SQL, [timezone.now(), list(run_ids), str(RunStatus.WAITING)])
    else:
        Run.objects.filter(pk__in=run_ids, status=RunStatus.WAITING).update(wake_at=timezone.now())
    enqueue_runs(run_ids)


def release_stalled_batches(now: dt.datetime, stale_after: dt.timedelta) -> int:
    """Return calls claimed by a flush that died to the queue, and flush every overdue batch.

    Returns how many claimed calls went back to the queue.
    """
    stalled = BatchItem.objects.filter(status=BatchItem.Status.CLAIMED, claimed_at__lt=now - stale_after)
    count = stalled.update(status=BatchItem.Status.PENDING, batch_id="", claimed_at=None)
    overdue = BatchItem.objects.filter(status=BatchItem.Status.PENDING, created_at__lt=now - dt.timedelta(seconds=5))
    for key in set(overdue.values_list("batch_key", flat=True)):
        schedule_flush(key)
    return count
