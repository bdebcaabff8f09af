"""Advancing runs: execute their ready nodes in topological order, durably.

One "advance" message holds the leases of one or more runs and executes every
node that is ready, run by run. Results are committed at durability points:
before a side effect starts (its start, the lease and a cancel are checked in
that write), after it succeeded and before the next node starts, at a wait and
at the end. Pure nodes' results travel with the next durability point. Runs
advanced together (:func:`advance_claimed`) share those commits: every run
reaches its next durability point, then one transaction writes them all.

A run stops when it finishes, fails, or must wait (a retry delay or a rate
limit): then the next message is scheduled with a delay instead of sleeping.
A worker that dies mid-run loses its lease; the next message (the broker's
redelivery, the next "runs are due" message, or the scheduler's sweep) resumes
from the last committed node, and no succeeded node ever runs again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from engine import leases, versions
from engine.core.states import NodeStatus
from engine.db import instances_of
from engine.dispatch import enqueue_due, enqueue_run
from engine.models import BatchItem, NodeRun, Run
from engine.run_state import RunRecorder, write_group
from engine.stepper import RunStepper

__all__ = ["RunStepper", "advance_claimed", "advance_due_runs", "advance_run", "advance_while_due", "drive"]

logger = logging.getLogger(__name__)


def advance_run(run_id: str) -> None:
    """Advance ``run_id`` as far as it can go now (a message naming one run: a timed wake-up)."""
    owner = leases.new_owner()
    run, held_until = leases.claim_and_load(run_id, owner)
    if run is None:
        if held_until is not None:
            # Someone holds the lease: maybe a worker that died. Look again when it expires.
            wait = max(1.0, (held_until - timezone.now()).total_seconds() + 1.0)
            enqueue_run(run_id, delay_seconds=wait, on_commit=False)
        return
    advance_claimed([run], owner)


def advance_due_runs(limit: int | None = None) -> int:
    """Claim up to ``limit`` due runs (``GROUP_SIZE``) and advance them together; how many were claimed."""
    owner = leases.new_owner()
    runs = leases.claim_due(owner, limit or int(settings.LEDGERLINE_ENGINE.get("GROUP_SIZE", 25)))
    if runs:
        advance_claimed(runs, owner)
    return len(runs)


def advance_while_due(max_groups: int = 40) -> int:
    """Advance due runs group after group while full groups come back (a backlog); how many in all.

    Bounded, so one message does not hold its thread for ever under endless
    load: after ``max_groups`` it hands on to a fresh nudge.
    """
    size = int(settings.LEDGERLINE_ENGINE.get("GROUP_SIZE", 25))
    total = 0
    for _ in range(max_groups):
        claimed = advance_due_runs(size)
        total += claimed
        if claimed < size:
            return total
    enqueue_due(on_commit=False)  # more may be due: another nudge takes over
    return total


def advance_claimed(runs: Sequence[Run], owner: str) -> None:
    """Advance runs whose leases ``owner`` holds, sharing their commits; release what stays held."""
    steppers: list[RunStepper] = []
    try:
        node_runs: dict[Any, list[NodeRun]] = {run.pk: [] for run in runs}
        for node_run in instances_of(NodeRun, "run_id", list(node_runs)):
            node_runs[node_run.run_id].append(node_run)
        for run in runs:
            # Versions never change: each process reads a version's document once.
            run.workflow_version = versions.get_version(run.workflow_version_id, run.claimed_version_created_at)  # type: ignore[attr-defined]
            steppers.append(
                RunStepper(
                    run,
                    owner,
                    organization_id=run.claimed_organization_id,  # type: ignore[attr-defined]
                    node_runs=node_runs[run.pk],
                )
            )
        _prefetch_batch_calls(steppers)
        drive(steppers)
    finally:
        released = {stepper.run.pk for stepper in steppers if stepper.state.released}
        held = [run.pk for run in runs if run.pk not in released]
        if held:
            leases.release_many(held, owner)


def _prefetch_batch_calls(steppers: Sequence[RunStepper]) -> None:
    """The parked calls of runs coming back from a batch: one query for the group."""
    waiting = [s for s in steppers if any(nr.status == NodeStatus.RUNNING for nr in s.node_runs.values())]
    if not waiting:
        return
    by_run = {s.run.pk: s for s in waiting}
    for stepper in waiting:
        stepper.batch_calls = {}
    for parked in instances_of(BatchItem, "run_id", list(by_run)):
        by_run[parked.run_id].batch_calls[(parked.node_id, parked.attempt)] = parked  # type: ignore[index]


def drive(steppers: Sequence[RunStepper]) -> None:
    """Step every run to its next durability point, write them all in one transaction, repeat.

    A run whose write is refused (its lease was lost, or it was cancelled)
    stops there. A run whose step raised stops too, with nothing of its
    unwritten changes kept; the others go on, and the first error is raised
    at the end so the message is retried.
    """
    live = [(stepper, stepper.steps()) for stepper in steppers]
    failure: BaseException | None = None
    written_at = time.monotonic()
    while live:
        at_barrier = []
        for stepper, steps in live:
            if not _lease_still_fresh(stepper, written_at):
                continue
            try:
                next(steps)
                at_barrier.append((stepper, steps))
            except StopIteration:
                pass
            except Exception as exc:
                logger.exception("advancing run %s failed", stepper.run.pk)
                stepper.state = RunRecorder(stepper.run, stepper.owner, ())  # drop what it did not write
                failure = failure or exc
        writing = [stepper for stepper in steppers if stepper.state.pending]
        accepted = dict(zip(writing, write_group([s.state for s in writing]), strict=True)) if writing else {}
        written_at = time.monotonic()
        live = [(stepper, steps) for stepper, steps in at_barrier if accepted.get(stepper, True)]
    if failure is not None:
        raise failure


def _lease_still_fresh(stepper: RunStepper, written_at: float) -> bool:
    """Renew a run's lease when the runs before it in the group took long (slow side effects).

    Its lease was renewed with the group's last write; a third of it gone, it
    is renewed before the run goes on. False: lost (or cancelled) meanwhile.
    """
    if time.monotonic() - written_at <= leases.lease_duration().total_seconds() / 3:
        return True
    return leases.renew(str(stepper.run.pk), stepper.owner)
