"""Sending messages to the workers: "advance this run" and "flush this batch".

Kept apart from the actors so services can enqueue without importing the
broker set-up, and so tests can take the place of the broker with
:func:`replace_sender`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction

from engine import nudges

#: ``sender(kind, argument, delay_ms)`` where kind is ``"run"``, ``"due"`` (no argument) or ``"batch"``.
Sender = Callable[[str, str, int], None]


def _send_message(kind: str, argument: str, delay_ms: int) -> None:
    from engine.tasks import advance_due_runs, advance_run, flush_batch  # the actor module needs the broker

    if kind == "due" or (kind == "run" and delay_ms == 0):
        # Due now: announced by a nudge, unless one is waiting already (engine/nudges.py).
        slot = nudges.take_slot()
        if slot >= 0:
            advance_due_runs.send(slot)
        return
    actor = advance_run if kind == "run" else flush_batch
    if delay_ms > 0:
        actor.send_with_options(args=(argument,), delay=delay_ms)
    else:
        actor.send(argument)


_sender: Sender = _send_message


def _dispatch(kind: str, argument: str, delay_seconds: float, on_commit: bool) -> None:
    delay_ms = max(0, int(delay_seconds * 1000))

    def send() -> None:
        _sender(kind, argument, delay_ms)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()


def enqueue_run(run_id: str, *, delay_seconds: float = 0.0, on_commit: bool = True) -> None:
    """Ask a worker to advance ``run_id`` (after the current transaction commits, by default)."""
    _dispatch("run", str(run_id), delay_seconds, on_commit)


def enqueue_due(*, on_commit: bool = True) -> None:
    """Ask a worker to advance whatever runs are due (see :mod:`engine.nudges`)."""
    _dispatch("due", "", 0.0, on_commit)


def enqueue_runs(run_ids: Sequence[Any], *, on_commit: bool = True) -> None:
    """Announce runs that became due together: their own message for one, else a nudge per group.

    A worker takes due runs ``GROUP_SIZE`` at a time, so a nudge per run would
    send the first worker to take them all and every other one to find none
    (at 330 webhooks a second, three claims in four came back empty).
    """
    if len(run_ids) == 1:
        enqueue_run(str(run_ids[0]), on_commit=on_commit)
        return
    group = max(1, int(settings.LEDGERLINE_ENGINE.get("GROUP_SIZE", 25)))
    for _ in range(0, len(run_ids), group):
        enqueue_due(on_commit=on_commit)


def enqueue_flush(batch_key: str, *, delay_seconds: float = 0.0, on_commit: bool = True) -> None:
    """Ask a worker to send the batch ``batch_key`` (see :mod:`engine.batching`)."""
    _dispatch("batch", batch_key, delay_seconds, on_commit)


@contextmanager
def replace_sender(sender: Sender) -> Iterator[None]:
    """Route every message to ``sender`` for the duration of the block (tests, benchmarks)."""
    global _sender
    previous = _sender
    _sender = sender
    try:
        yield
    finally:
        _sender = previous
