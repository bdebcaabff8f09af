"""What the Xero node types share: the connection field, option lists, batched effects."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sdk import NodeError, NodeType, PermanentError, RetryPolicy
from connectors.sdk.faults import crash_point
from connectors.xero.client import XeroClient

CONNECTION_FIELD: dict[str, Any] = {"type": "string", "format": "connection", "title": "Xero connection"}
#: Xero's 5xx and timeouts pass; its idempotency keys and the effect ledger make retries safe.
XERO_RETRY = RetryPolicy(max_attempts=8, base_delay=2.0, max_delay=300.0)


def client_for(context: Any) -> XeroClient:
    return XeroClient(context.connection())


def options(connection: Any, name: str) -> list[dict[str, Any]]:
    """Drop-down choices read from the organisation (accounts, tax rates ...)."""
    client = XeroClient(connection)
    if name == "account_code":
        return [
            {"value": a["Code"], "label": f"{a['Code']} {a['Name']}"} for a in client.get("Accounts") if a.get("Code")
        ]
    if name == "tax_type":
        return [{"value": t["TaxType"], "label": t["Name"]} for t in client.get("TaxRates")]
    if name == "tax_rate":
        return [
            {"value": t["TaxType"], "label": t["Name"], "rate": str(t.get("EffectiveRate", "0"))}
            for t in client.get("TaxRates")
        ]
    if name == "currency_code":
        return [{"value": c["Code"], "label": c.get("Description", c["Code"])} for c in client.get("Currencies")]
    if name == "tracking":
        return [
            {"value": f"{c['Name']}/{o['Name']}", "label": f"{c['Name']}: {o['Name']}"}
            for c in client.get("TrackingCategories")
            for o in c.get("Options", [])
        ]
    raise KeyError(name)


def batch_key(keys: Sequence[str]) -> str:
    """The Idempotency-Key of a batch: the same elements give the same key."""
    return hashlib.sha256("|".join(sorted(keys)).encode()).hexdigest()


def create_batched(
    calls: Sequence[tuple[Any, Any]],
    *,
    collection: str,
    kind: str,
    business_key: Callable[[Any], str],
    to_element: Callable[[Any, Any], dict[str, Any]],
    find_existing: Callable[[XeroClient, Any], dict[str, Any] | None],
    remote_id: str,
    find_many: Callable[[XeroClient, list[Any]], list[dict[str, Any] | None]] | None = None,
) -> list[Any]:
    """Create one Xero record per call in as few requests as possible, each exactly once.

    Per call: a recorded effect is returned as it was; an uncertain one (a
    worker died after sending it, or the answer was lost) is looked up at Xero
    first — all of them in one request with ``find_many``, else one by one with
    ``find_existing``; the rest go in one request with an Idempotency-Key
    derived from its elements. A call's validation error comes back in its own slot.
    """
    results: list[Any] = [None] * len(calls)
    pending: list[tuple[int, Any, Any]] = []
    #: Two runs for the same record in one batch (a webhook and a poll for the same order):
    #: the first one's call is made, the second shares its result.
    first_for: dict[str, int] = {}
    same_as: list[tuple[int, int]] = []
    uncertain: list[tuple[int, Any, Any, Any]] = []
    client = client_for(calls[0][0])
    entering: list[tuple[int, Any, Any, str]] = []
    for index, (context, item) in enumerate(calls):
        try:
            reference = business_key(item)
        except NodeError as exc:
            results[index] = exc
            continue
        key = context.idempotency_key(kind, reference)
        if key in first_for:
            same_as.append((index, first_for[key]))
            continue
        first_for[key] = index
        entering.append((index, context, item, reference))
    # One round of the ledger for the whole batch.
    effects = calls[0][0].begin_effects([(context, kind, (reference,)) for _, context, _, reference in entering])
    for (index, context, item, _), effect in zip(entering, effects, strict=True):
        if effect.previous is not None:
            results[index] = dict(effect.previous)
            continue
        if effect.uncertain:
            uncertain.append((index, effect, context, item))
            continue
        try:
            pending.append((index, effect, to_element(context, item)))
        except NodeError as exc:
            results[index] = exc
    if uncertain:
        items = [item for _, _, _, item in uncertain]
        found_all: list[Any]
        try:
            found_all = find_many(client, items) if find_many else [find_existing(client, item) for item in items]
        except NodeError as exc:  # the lookup failed: these calls are retried, nothing is created blind
            found_all = [exc] * len(uncertain)
        for (index, effect, context, item), found in zip(uncertain, found_all, strict=True):
            if isinstance(found, NodeError):
                results[index] = found
            elif found is not None:
                effect.record(found, remote_id=str(found.get(remote_id, "")))
                results[index] = found
            else:
                try:
                    pending.append((index, effect, to_element(context, item)))
                except NodeError as exc:
                    results[index] = exc
    if pending:
        outcomes = client.create_many(
            collection,
            [element for _, _, element in pending],
            batch_key([effect.key for _, effect, _ in pending]),
            unitdp=4,
        )
        # Test-only fault injection: the records exist at Xero, the ledger does not know yet.
        crash_point(f"xero.{kind}.after_create")
        created = []
        for (index, effect, _), outcome in zip(pending, outcomes, strict=True):
            if outcome.record is None:
                results[index] = PermanentError(
                    f"Xero refused it: {'; '.join(outcome.errors)}",
                    code="xero.validation",
                    details={"messages": outcome.errors},
                )
            else:
                created.append((effect, outcome.record, str(outcome.record.get(remote_id, ""))))
                results[index] = outcome.record
        calls[0][0].record_effects(created)
    for index, first in same_as:
        results[index] = results[first]
    return results


def amount(value: Any, field: str) -> Decimal:
    """An exact amount from a string or number (sent to Xero as a JSON number)."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise PermanentError(f"{field} {value!r} is not an amount", field=f"input.{field}") from None


def require(item: Mapping[str, Any], field: str) -> Any:
    value = item.get(field)
    if value in (None, ""):
        raise PermanentError(f"the input has no {field}", field=f"input.{field}")
    return value


class XeroNode(NodeType):
    """Base of the Xero node types: drop-down options read from the organisation."""

    connection_kind = "xero"
    category = "Xero"

    def options(self, name: str, connection: Any | None, config: Mapping[str, Any]) -> list[dict[str, Any]]:
        return options(connection, name)


class BatchedXeroNode(XeroNode):
    """A Xero node whose calls from many runs travel in one request (see :func:`create_batched`)."""

    side_effects = True
    batchable = True
    retry = XERO_RETRY

    def execute(self, context: Any, item: Any) -> Any:
        [result] = self.execute_batch([(context, item)])
        if isinstance(result, NodeError):
            raise result
        return result
