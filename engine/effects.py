"""The effect ledger behind ``context.effect(...)``: exactly-once side effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from engine.core.jsonsafe import to_json
from engine.models import Effect


class LedgerEffect:
    """A ledger entry for one side effect, as the node sees it."""

    def __init__(self, row: Effect, *, uncertain: bool) -> None:
        self._row = row
        self.key = row.key
        self.previous: Mapping[str, Any] | None = row.result if row.status == Effect.Status.APPLIED else None
        self.uncertain = uncertain

    def record(self, result: Mapping[str, Any], remote_id: str | None = None) -> None:
        Effect.objects.filter(pk=self.key).update(
            status=Effect.Status.APPLIED,
            result=to_json(result),
            remote_id=(remote_id or "")[:200],
            applied_at=timezone.now(),
        )
        self.previous = to_json(result)


def begin_effect(
    *, key: str, workflow_id: str, node_id: str, run_id: str, kind: str, business_key: str
) -> LedgerEffect:
    """Enter (or find) the effect ``key`` and commit that before the remote call happens."""
    with transaction.atomic():
        row, created = Effect.objects.select_for_update().get_or_create(
            key=key,
            defaults={
                "workflow_id": workflow_id,
                "node_id": node_id,
                "kind": kind[:100],
                "business_key": business_key[:500],
                "first_run_id": run_id or None,
                "last_run_id": run_id or None,
            },
        )
        uncertain = False
        if not created and row.status == Effect.Status.STARTED:
            uncertain = True
            row.attempts += 1
            row.last_run_id = run_id or row.last_run_id
            row.save(update_fields=["attempts", "last_run"])
    return LedgerEffect(row, uncertain=uncertain)
