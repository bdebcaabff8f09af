"""Test doubles for node types: run one node without the engine or a database.

Example::

    from connectors.sdk.testing import FakeContext, FakeConnection
    ctx = FakeContext(config={"expression": "$.total"})
    assert MapNode().execute(ctx, {"total": 3}) == 3
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connectors.sdk.registry import node_types


@dataclass
class FakeStateStore:
    """In-memory :class:`~connectors.sdk.context.StateStore`."""

    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


@dataclass
class FakeConnection:
    """In-memory :class:`~connectors.sdk.context.ConnectionHandle`."""

    kind: str
    base_url: str
    secrets: dict[str, str | None] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    id: str = "00000000-0000-0000-0000-000000000001"
    name: str = "test connection"
    status: str = "connected"
    status_detail: str = ""
    rate_limit_reports: list[tuple[str, int | None, float | None]] = field(default_factory=list)

    def secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    def update_secrets(self, **values: str | None) -> None:
        self.secrets.update(values)

    def update_settings(self, **values: Any) -> None:
        self.settings.update(values)

    def mark_needs_reauth(self, reason: str) -> None:
        self.status = "needs_reauth"
        self.status_detail = reason

    def set_status(self, status: str, detail: str = "") -> None:
        self.status = status
        self.status_detail = detail

    def reload(self) -> None:
        """Nothing to re-read in memory."""

    @contextmanager
    def call_slot(self, scope: str | None = None) -> Iterator[None]:
        """No shared limits in unit tests."""
        yield

    def remote_says(self, limit_name: str, *, remaining: int | None, reset_after: float | None) -> None:
        self.rate_limit_reports.append((limit_name, remaining, reset_after))

    @contextmanager
    def locked(self) -> Iterator[FakeConnection]:
        yield self


@dataclass
class FakeEffect:
    """In-memory ledger entry: a second ``effect()`` for the same key before ``record`` is uncertain."""

    key: str
    previous: Mapping[str, Any] | None = None
    uncertain: bool = False
    remote_id: str | None = None

    def record(self, result: Mapping[str, Any], remote_id: str | None = None) -> None:
        self.previous = result
        self.remote_id = remote_id


@dataclass
class FakeContext:
    """A :class:`~connectors.sdk.context.NodeContext` for unit tests."""

    config: Mapping[str, Any] = field(default_factory=dict)
    trigger: Any = None
    run_id: str = "run-1"
    workflow_id: str = "workflow-1"
    node_id: str = "node-1"
    attempt: int = 1
    connection_handle: Any = None
    store: FakeStateStore = field(default_factory=FakeStateStore)
    logs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The effect ledger of this fake context, by key.
    effects: dict[str, FakeEffect] = field(default_factory=dict)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("ledgerline.test"))

    def connection(self) -> Any:
        if self.connection_handle is None:
            from connectors.sdk.errors import PermanentError

            raise PermanentError("no connection configured", field="connection")
        return self.connection_handle

    def state(self) -> FakeStateStore:
        return self.store

    def idempotency_key(self, *business_key: str) -> str:
        raw = "|".join([self.workflow_id, self.node_id, *business_key])
        return hashlib.sha256(raw.encode()).hexdigest()[:40]

    def effect(self, kind: str, *business_key: str) -> FakeEffect:
        key = self.idempotency_key(kind, *business_key)
        existing = self.effects.get(key)
        if existing is None:
            existing = self.effects[key] = FakeEffect(key=key)
        elif existing.previous is None:
            existing.uncertain = True
        return existing

    def begin_effects(self, requests: Sequence[tuple[Any, str, Sequence[str]]]) -> list[FakeEffect]:
        return [context.effect(kind, *business_key) for context, kind, business_key in requests]

    def record_effects(self, outcomes: Sequence[tuple[Any, Mapping[str, Any], str | None]]) -> None:
        for effect, result, remote_id in outcomes:
            effect.record(result, remote_id)

    def log(self, message: str, **data: Any) -> None:
        self.logs.append((message, data))


def run_node(type_id: str, item: Any, **context: Any) -> Any:
    """Execute the registered node type ``type_id`` on ``item`` with a :class:`FakeContext`."""
    return node_types.get(type_id).execute(FakeContext(**context), item)
