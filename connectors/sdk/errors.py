"""The failures a node can report, classified so the engine can route them.

Every failure a node raises is one of four kinds. The engine decides what to do
by kind alone (retry with backoff, wait for the rate limit, dead-letter, or mark
the connection as needing re-authorisation), so a connector never decides retry
policy itself: it only says what went wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class FailureKind(StrEnum):
    """How the engine treats a failure."""

    #: Network errors, timeouts, 5xx: retried with exponential backoff and jitter.
    TRANSIENT = "transient"
    #: The remote said "too many requests": retried after ``retry_after`` seconds.
    RATE_LIMITED = "rate_limited"
    #: Bad input, missing mapping, remote validation error: never retried.
    PERMANENT = "permanent"
    #: Credentials rejected or expired beyond refresh: never retried; the
    #: connection is marked as needing re-authorisation.
    CREDENTIAL = "credential"
    #: The item needs a person to look at it (e.g. unknown SKU): the run waits
    #: in the review queue instead of the dead-letter queue.
    REVIEW = "review"


class NodeError(Exception):
    """Base of every failure a node type may raise.

    Parameters:
        message: what went wrong and, where possible, what to do about it.
        code: a stable machine-readable code (``"xero.validation"``).
        details: JSON-serialisable data for the person fixing it (remote
            validation messages, the offending field, ...). Never secrets.
        field: the config or input field the failure is about, if any.
    """

    kind: FailureKind = FailureKind.PERMANENT
    default_code = "node_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored on the node run and shown to people."""
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "code": self.code,
            "message": self.message,
        }
        if self.details is not None:
            data["details"] = self.details
        if self.field is not None:
            data["field"] = self.field
        return data


class TransientError(NodeError):
    """A failure that may go away by itself (timeouts, 5xx, connection resets)."""

    kind = FailureKind.TRANSIENT
    default_code = "transient"


class RateLimitedError(NodeError):
    """The remote API refused the call for exceeding a limit.

    ``retry_after`` is the number of seconds the remote asked to wait (from a
    ``Retry-After`` header or an equivalent); ``None`` lets the engine choose.
    """

    kind = FailureKind.RATE_LIMITED
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["retry_after"] = self.retry_after
        return data


class PermanentError(NodeError):
    """A failure that retrying cannot fix: bad data, remote validation, missing mapping."""

    kind = FailureKind.PERMANENT
    default_code = "permanent"


class CredentialError(NodeError):
    """The connection's credentials were refused and could not be refreshed."""

    kind = FailureKind.CREDENTIAL
    default_code = "credential"


class ReviewRequired(NodeError):
    """The item is not wrong enough to dead-letter but needs a person (review queue)."""

    kind = FailureKind.REVIEW
    default_code = "review_required"


class WebhookRejected(Exception):
    """A webhook delivery was refused (bad signature, bad body).

    ``status`` is the HTTP status returned to the sender.
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
