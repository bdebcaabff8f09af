"""Sending "advance this run" messages to the workers.

Kept apart from the actors so services can enqueue without importing the
broker set-up, and so tests can take the place of the broker with
:func:`replace_sender`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

#: ``sender(run_id, delay_ms)``; the default sends a Dramatiq message.
Sender = Callable[[str, int], None]


def _send_message(run_id: str, delay_ms: int) -> None:
    from engine.tasks import advance_run  # the actor module needs the broker configured

    if delay_ms > 0:
        advance_run.send_with_options(args=(run_id,), delay=delay_ms)
    else:
        advance_run.send(run_id)


_sender: Sender = _send_message


def enqueue_run(run_id: str, *, delay_seconds: float = 0.0, on_commit: bool = True) -> None:
    """Ask a worker to advance ``run_id`` (after the current transaction commits, by default)."""
    delay_ms = max(0, int(delay_seconds * 1000))

    def send() -> None:
        _sender(str(run_id), delay_ms)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()


@contextmanager
def replace_sender(sender: Sender) -> Iterator[None]:
    """Route every enqueue to ``sender`` for the duration of the block (tests, benchmarks)."""
    global _sender
    previous = _sender
    _sender = sender
    try:
        yield
    finally:
        _sender = previous
