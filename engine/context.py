"""The engine's implementation of :class:`connectors.sdk.context.NodeContext`."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.sdk.errors import PermanentError
from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from engine.effects import EffectEntry, LedgerEffect, begin_effect, begin_effects, record_effects
from engine.models import NodeState

logger = logging.getLogger("ledgerline.nodes")


class DatabaseStateStore:
    """Node state kept in :class:`~engine.models.NodeState`, written at once."""

    def __init__(self, workflow_id: str, node_id: str) -> None:
        self._workflow_id = workflow_id
        self._node_id = node_id

    def _row(self) -> NodeState:
        row, _ = NodeState.objects.get_or_create(workflow_id=self._workflow_id, node_id=self._node_id)
        return row

    def get(self, key: str, default: Any = None) -> Any:
        return self._row().data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        with transaction.atomic():
            row, _ = NodeState.objects.select_for_update().get_or_create(
                workflow_id=self._workflow_id, node_id=self._node_id
            )
            row.data = {**row.data, key: value}
            row.save(update_fields=["data", "updated_at"])


def effect_key(workflow_id: str, node_id: str, *business_key: str) -> str:
    """Idempotency key of an effect: the same flow, node and business key give the same key."""
    raw = "\x1f".join([workflow_id, node_id, *business_key])
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class EngineContext:
    """What one node execution sees; built fresh for every attempt."""

    def __init__(
        self,
        *,
        run_id: str,
        workflow_id: str,
        organization_id: int,
        node_id: str,
        attempt: int,
        config: Mapping[str, Any],
        trigger: Any,
        connection_kind: str | None,
        connection: StoredConnection | None = None,
    ) -> None:
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.node_id = node_id
        self.attempt = attempt
        self.config = config
        self.trigger = trigger
        self.logger = logger
        self.logs: list[dict[str, Any]] = []
        self._organization_id = organization_id
        self._connection_kind = connection_kind
        #: Loaded on first use, unless the caller already holds it (the calls of one batch share it).
        self._connection: StoredConnection | None = connection

    def connection(self) -> StoredConnection:
        if self._connection is None:
            self._connection = load_connection(
                self.config.get("connection"), organization_id=self._organization_id, kind=self._connection_kind
            )
        return self._connection

    def loaded_connection(self) -> StoredConnection | None:
        """The connection if it is loaded already (None before the first :meth:`connection`)."""
        return self._connection

    def state(self) -> DatabaseStateStore:
        return DatabaseStateStore(self.workflow_id, self.node_id)

    def idempotency_key(self, *business_key: str) -> str:
        return effect_key(self.workflow_id, self.node_id, *business_key)

    def effect(self, kind: str, *business_key: str) -> LedgerEffect:
        return begin_effect(**vars(_effect_entry(self, kind, business_key)))

    def begin_effects(self, requests: Sequence[tuple[Any, str, Sequence[str]]]) -> list[LedgerEffect]:
        """:meth:`effect` for a batch's calls ``(context, kind, business_key)``, entered in one transaction."""
        return begin_effects([_effect_entry(context, kind, business_key) for context, kind, business_key in requests])

    def record_effects(self, outcomes: Sequence[tuple[Any, Mapping[str, Any], str | None]]) -> None:
        """``effect.record(result, remote_id)`` for many effects in one statement."""
        record_effects(outcomes)

    def log(self, message: str, **data: Any) -> None:
        self.logs.append({"at": timezone.now().isoformat(), "message": message, "data": data})


def _effect_entry(context: Any, kind: str, business_key: Sequence[str]) -> EffectEntry:
    """The ledger entry of effect ``kind`` for ``business_key`` of ``context``'s workflow and node."""
    return EffectEntry(
        key=effect_key(context.workflow_id, context.node_id, kind, *business_key),
        workflow_id=context.workflow_id,
        node_id=context.node_id,
        run_id=context.run_id,
        kind=kind,
        business_key="/".join(business_key),
    )


def load_connection(connection_id: Any, *, organization_id: int, kind: str | None) -> StoredConnection:
    """The organisation's connection ``connection_id`` of the expected kind.

    Raises:
        PermanentError: missing, unknown, of another organisation or of the wrong kind.
    """
    if not connection_id:
        raise PermanentError("choose a connection for this node", code="connection_missing", field="config.connection")
    rows = Connection.objects.filter(organization_id=organization_id)
    try:
        row = rows.get(pk=uuid.UUID(str(connection_id)))
    except (ValueError, Connection.DoesNotExist):
        # Templates and exported flows may name a connection instead of carrying an id.
        row = rows.filter(name=str(connection_id)).first()  # type: ignore[assignment]
    if row is None:
        raise PermanentError(
            f"connection {connection_id} does not exist", code="connection_unknown", field="config.connection"
        )
    if kind and row.kind != kind:
        raise PermanentError(
            f"connection {row.name!r} is a {row.kind} connection; this node needs {kind}",
            code="connection_kind",
            field="config.connection",
        )
    return StoredConnection(row)
