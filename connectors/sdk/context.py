"""What a node sees while it runs: the engine implements this protocol."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class StateStore(Protocol):
    """Durable key/value state owned by one node of one workflow (e.g. a poll cursor)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


class ConnectionHandle(Protocol):
    """A configured connection to a remote system, with its secrets decrypted in memory.

    Secrets are only reachable through :meth:`secret`; they never appear in
    ``repr`` or in anything the engine stores.
    """

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def settings(self) -> Mapping[str, Any]: ...

    def secret(self, name: str) -> str | None: ...

    def update_secrets(self, **values: str | None) -> None:
        """Persist rotated secrets (e.g. a refreshed OAuth token pair)."""

    def update_settings(self, **values: Any) -> None:
        """Persist non-secret settings (e.g. the chosen tenant)."""

    def set_status(self, status: str, detail: str = "") -> None:
        """Record ``connected`` / ``needs_reauth`` / ``error`` with a sentence for people."""

    def mark_needs_reauth(self, reason: str) -> None:
        """Flag the connection so people see it must be authorised again."""

    def reload(self) -> None:
        """Re-read settings and secrets (another process may have changed them)."""

    def call_slot(self, scope: str | None = None) -> AbstractContextManager[None]:
        """Wrap each remote call: checks the circuit breaker and the shared budgets first.

        ``scope`` names one of the remote's budgets (e.g. an endpoint group) that
        :meth:`remote_says` may have paused.

        Raises:
            RateLimitedError: the budget is spent or the breaker is open (with
                ``retry_after``); the call must not be made.
        """
        ...

    def remote_says(self, limit_name: str, *, remaining: int | None, reset_after: float | None) -> None:
        """Report the remote's rate-limit headers so every worker slows down together."""

    def locked(self) -> AbstractContextManager[ConnectionHandle]:
        """Hold the connection's lock across all processes for the block, with fresh secrets.

        Used for refreshing rotating OAuth tokens exactly once.
        """
        ...


class EffectHandle(Protocol):
    """One side effect in the effect ledger (see :meth:`NodeContext.effect`)."""

    #: The idempotency key to send to the remote (stable across retries and replays).
    key: str
    #: What an earlier attempt recorded when the effect was applied, else None.
    previous: Mapping[str, Any] | None
    #: True when an earlier attempt began this effect but never recorded its outcome
    #: (its worker died between the remote call and the commit): look the record up
    #: at the remote by its reference before creating it again.
    uncertain: bool

    def record(self, result: Mapping[str, Any], remote_id: str | None = None) -> None:
        """Commit the effect's outcome; later attempts see it as ``previous``."""


class NodeContext(Protocol):
    """Everything a node may use besides its input item."""

    #: Identifiers, for logs and idempotency keys.
    run_id: str
    workflow_id: str
    node_id: str
    #: 1 on the first try, 2 on the first retry, ...
    attempt: int
    #: The node's configuration, already validated against its config schema.
    config: Mapping[str, Any]
    #: The payload of the event that started this run.
    trigger: Any
    logger: logging.Logger

    def connection(self) -> ConnectionHandle:
        """The connection named by ``config["connection"]``.

        Raises:
            PermanentError: the node has no connection configured, or it does not exist.
        """
        ...

    def state(self) -> StateStore:
        """Durable state for this node of this workflow (shared by all its runs)."""
        ...

    def idempotency_key(self, *business_key: str) -> str:
        """A stable key for an effect: workflow + node + the given business key parts.

        The same workflow, node and business key always give the same key, so a
        retried or replayed run repeats the same effect, never a second one.
        """
        ...

    def effect(self, kind: str, *business_key: str) -> EffectHandle:
        """Enter an effect into the ledger before performing it.

        The entry is committed before this returns, so a crash after the remote
        call leaves a trace: the next attempt sees ``uncertain`` and reconciles
        instead of creating a duplicate. Usage::

            effect = context.effect("xero.invoice", purchase_order_id)
            if effect.previous is not None:
                return effect.previous
            if effect.uncertain and (found := client.find_invoice(reference=...)):
                effect.record(found, remote_id=found["InvoiceID"])
                return found
            created = client.create_invoice(..., idempotency_key=effect.key)
            effect.record(created, remote_id=created["InvoiceID"])
            return created
        """
        ...

    def begin_effects(self, requests: Sequence[tuple[NodeContext, str, Sequence[str]]]) -> Sequence[EffectHandle]:
        """:meth:`effect` for the calls of a batch, ``(context, kind, business_key)`` each, at once.

        One transaction enters them all (a batch of 50 is one round of the ledger,
        not 50); calls with the same key share one handle.
        """
        ...

    def record_effects(self, outcomes: Sequence[tuple[Any, Mapping[str, Any], str | None]]) -> None:
        """``effect.record(result, remote_id)`` for many effects at once."""
        ...

    def log(self, message: str, **data: Any) -> None:
        """Record a line on the node run, visible in the run detail and live view."""
        ...
