"""Run and node-run states, and the transitions between them."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    #: Waiting for a retry delay, a rate limit or a batch window; a message is scheduled.
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    #: A node failed permanently or ran out of retries.
    FAILED = "failed"
    #: A node asked for a person to look at the item.
    REVIEW = "review"
    CANCELLED = "cancelled"
    #: Quarantined: the run crashed its worker too many times.
    DEAD = "dead"


class NodeStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


#: States a run never leaves.
FINAL_RUN_STATES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.REVIEW, RunStatus.CANCELLED, RunStatus.DEAD}
)
#: Node states whose outcome is known.
SETTLED_NODE_STATES = frozenset({NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.SKIPPED})

ALLOWED_RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset({RunStatus.RUNNING, RunStatus.WAITING, *FINAL_RUN_STATES}),
    RunStatus.WAITING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.DEAD}),
}


class InvalidTransition(ValueError):
    """A state change that the table above does not allow."""


def check_run_transition(current: RunStatus, new: RunStatus) -> None:
    """Raise :class:`InvalidTransition` unless ``current → new`` is allowed."""
    if new not in ALLOWED_RUN_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"a run cannot go from {current} to {new}")
