"""Sending "advance this run" messages to the workers.

Kept apart from the actors so services can enqueue without importing them at
module level, and so tests can see what was enqueued.
"""

from __future__ import annotations

from django.db import transaction


def enqueue_run(run_id: str, *, delay_seconds: float = 0.0, on_commit: bool = True) -> None:
    """Ask a worker to advance ``run_id``, after the current transaction commits."""
    from engine.tasks import advance_run  # the actor module needs the broker configured

    def send() -> None:
        if delay_seconds > 0:
            advance_run.send_with_options(args=(str(run_id),), delay=int(delay_seconds * 1000))
        else:
            advance_run.send(str(run_id))

    if on_commit:
        transaction.on_commit(send)
    else:
        send()
