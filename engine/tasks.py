"""Dramatiq actors. Thin: they only call into the runner and the scheduler."""

from __future__ import annotations

import dramatiq

from engine import batching, nudges, runner


@dramatiq.actor(queue_name="engine", priority=10, max_retries=3, min_backoff=1000, time_limit=15 * 60 * 1000)
def advance_run(run_id: str) -> None:
    """Advance one run as far as it can go (see :mod:`engine.runner`): a timed wake-up."""
    runner.advance_run(run_id)


@dramatiq.actor(queue_name="engine", priority=10, max_retries=3, min_backoff=1000, time_limit=15 * 60 * 1000)
def advance_due_runs(slot: int) -> None:
    """Advance the runs that are due, a group at a time, until none is left (see :mod:`engine.nudges`)."""
    nudges.free_slot(slot)
    runner.advance_while_due()


#: A queue of its own, served first: a flush wakes many runs and spends a remote call slot,
#: so it must not wait behind a backlog of runs (thousands of them are often what it waits for).
@dramatiq.actor(queue_name="engine_batches", priority=0, max_retries=3, min_backoff=1000, time_limit=10 * 60 * 1000)
def flush_batch(batch_key: str) -> None:
    """Send the next batch of parked calls when it is due (see :mod:`engine.pacing`)."""
    batching.flush_when_due(batch_key)
