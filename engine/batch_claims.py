"""Reading parked calls for a flush: which calls it takes, and what each call's node context needs.

A flush reads each call with its run's workflow, organisation, input and
version as values (:class:`Parked`), not as model instances: a batch of 50
would otherwise build 50 runs and workflows it reads five fields of. On
PostgreSQL the claim and that read are one ``UPDATE … RETURNING``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from connectors.sdk.nodes import NodeType
from engine import versions
from engine.context import EngineContext
from engine.models import BatchItem, Run

if TYPE_CHECKING:
    from connectors.sdk.handles import StoredConnection


@dataclass(frozen=True)
class Parked:
    """A parked call as a flush reads it: the call, and what its node's context needs of its run."""

    pk: int
    run_id: Any
    node_id: str
    node_type: str
    attempt: int
    item: Any
    workflow_id: Any
    organization_id: int
    trigger: Any
    version_id: int
    version_created_at: dt.datetime


#: What a flush reads of a parked call, its run, its workflow and its version, in ``Parked``'s order.
#: Not the version itself: each process keeps every version's parsed graph (:mod:`engine.versions`),
#: and a batch of 50 would read its document 50 times.
_PARKED_VALUES = (
    "pk", "run_id", "node_id", "node_type", "attempt", "item", "run__workflow_id",
    "run__workflow__organization_id", "run__input", "run__workflow_version_id", "run__workflow_version__created_at",
)  # fmt: skip


def read_parked(rows: Any, limit: int | None = None) -> list[Parked]:
    """``rows`` (parked calls, ordered) read as ``Parked``: no model instances, one query."""
    return [Parked(*row) for row in rows.values_list(*_PARKED_VALUES)[:limit]]


@lru_cache(maxsize=1)
def _claim_sql() -> str:
    """One statement (PostgreSQL): take up to a batch of a key's parked calls and return them as ``Parked``."""
    item, run = BatchItem._meta, Run._meta
    workflow = run.get_field("workflow").related_model._meta  # type: ignore[union-attr]
    version = run.get_field("workflow_version").related_model._meta  # type: ignore[union-attr]
    # SKIP LOCKED: two flushes at once (one outlived its lock) take whole batches, not halves.
    pending = (
        f"SELECT id FROM {item.db_table} WHERE batch_key = %s AND status = %s "  # noqa: S608 - names from models
        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
    )
    return (
        f"UPDATE {item.db_table} AS b SET status = %s, batch_id = %s, claimed_at = %s "  # noqa: S608 - names from models
        f"FROM {run.db_table} AS r, {workflow.db_table} AS w, {version.db_table} AS v "
        f"WHERE b.id IN ({pending}) AND r.id = b.run_id AND w.id = r.workflow_id AND v.id = r.workflow_version_id "
        "RETURNING b.id, b.run_id, b.node_id, b.node_type, b.attempt, b.item, r.workflow_id, w.organization_id, "
        "r.input, r.workflow_version_id, v.created_at"
    )


def claim(key: str, limit: int) -> list[Parked]:
    """Take up to ``limit`` parked calls of ``key`` for one batch, oldest first."""
    batch_id, now = uuid.uuid4().hex, timezone.now()
    claimed, pending = str(BatchItem.Status.CLAIMED), str(BatchItem.Status.PENDING)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(), [claimed, batch_id, now, key, pending, limit])
            rows = cursor.fetchall()
        item_field, input_field = BatchItem._meta.get_field("item"), Run._meta.get_field("input")
        parsed = [
            Parked(
                pk, run_id, node_id, node_type, attempt,
                item_field.from_db_value(item, item_field.cached_col, connection), workflow_id, organization_id,
                input_field.from_db_value(trigger, input_field.cached_col, connection), version_id, version_created_at,
            )
            for (
                pk, run_id, node_id, node_type, attempt, item, workflow_id, organization_id, trigger, version_id,
                version_created_at,
            ) in rows
        ]  # fmt: skip
        return sorted(parsed, key=lambda parked: parked.pk)
    with transaction.atomic():
        candidates = list(
            BatchItem.objects.select_for_update(skip_locked=True)
            .filter(batch_key=key, status=pending)
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        BatchItem.objects.filter(pk__in=candidates, status=pending).update(
            status=claimed, batch_id=batch_id, claimed_at=now
        )
    return read_parked(BatchItem.objects.filter(pk__in=candidates, batch_id=batch_id).order_by("id"))


def call_context(parked: Parked, node_type: type[NodeType], shared: StoredConnection | None = None) -> EngineContext:
    version = versions.get_version(parked.version_id, parked.version_created_at)
    spec = versions.graph_of(version).nodes.get(parked.node_id)
    return EngineContext(
        run_id=str(parked.run_id),
        workflow_id=str(parked.workflow_id),
        organization_id=parked.organization_id,
        node_id=parked.node_id,
        attempt=parked.attempt,
        config=spec.config if spec is not None else {},
        trigger=parked.trigger,
        connection_kind=node_type.connection_kind,
        connection=shared,
    )
