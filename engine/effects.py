"""The effect ledger behind ``context.effect(...)``: exactly-once side effects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from engine.core.jsonsafe import to_json
from engine.db import create_all, update_from_values
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


@dataclass(frozen=True)
class EffectEntry:
    """One effect to enter into the ledger (the arguments of :func:`begin_effect`)."""

    key: str
    workflow_id: str
    node_id: str
    run_id: str
    kind: str
    business_key: str


def begin_effects(entries: Sequence[EffectEntry]) -> list[LedgerEffect]:
    """:func:`begin_effect` for the elements of a batch: one transaction, a read and an insert for all.

    Entries with the same key share one ledger row (and one handle).
    """
    if not entries:
        return []
    try:
        with transaction.atomic():
            rows = {row.key: row for row in Effect.objects.select_for_update().filter(key__in={e.key for e in entries})}
            seen = dict.fromkeys(rows)
            new, now = [], timezone.now()
            for entry in entries:
                if entry.key in seen:
                    continue
                seen[entry.key] = None
                new.append(
                    Effect(
                        key=entry.key,
                        workflow_id=entry.workflow_id,
                        node_id=entry.node_id,
                        kind=entry.kind[:100],
                        business_key=entry.business_key[:500],
                        first_run_id=entry.run_id or None,
                        last_run_id=entry.run_id or None,
                        created_at=now,
                    )
                )
            create_all(Effect, new)
            handles: dict[str, LedgerEffect] = {row.key: LedgerEffect(row, uncertain=False) for row in new}
            by_key = {entry.key: entry for entry in entries}
            for key, row in rows.items():
                uncertain = row.status == Effect.Status.STARTED
                if uncertain:
                    row.attempts += 1
                    row.last_run_id = by_key[key].run_id or row.last_run_id
                    row.save(update_fields=["attempts", "last_run"])
                handles[key] = LedgerEffect(row, uncertain=uncertain)
    except IntegrityError:
        # Another worker entered one of these keys at the same moment: take them one by one.
        return [begin_effect(**vars(entry)) for entry in entries]
    return [handles[entry.key] for entry in entries]


def record_effects(outcomes: Sequence[tuple[LedgerEffect, Mapping[str, Any], str | None]]) -> None:
    """:meth:`LedgerEffect.record` for many effects in one statement."""
    if len(outcomes) == 1 or (outcomes and connection.vendor != "postgresql"):
        for effect, result, remote_id in outcomes:
            effect.record(result, remote_id)
        return
    now = timezone.now()
    fields = [Effect._meta.get_field(name) for name in ("status", "result", "remote_id", "applied_at")]
    rows = []
    for effect, result, remote_id in outcomes:
        effect.previous = to_json(result)
        rows.append([effect.key, Effect.Status.APPLIED, effect.previous, (remote_id or "")[:200], now])
    update_from_values(Effect, [("key", "varchar")], fields, rows, where="t.key = v.key")
