from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.sdk import NodeError, PermanentError, register
from connectors.xero.client import XeroClient, quote
from connectors.xero.nodes.common import (
    CONNECTION_FIELD,
    BatchedXeroNode,
    amount,
    client_for,
    create_batched,
    require,
)


def remaining_credit(client: XeroClient, item: Mapping[str, Any]) -> Decimal:
    """What is left on the credit note now, as Xero says."""
    notes = client.get("CreditNotes", {"where": f"Reference=={quote(str(item.get('reference', '')))}"})
    for note in notes:
        if note.get("CreditNoteID") == item["credit_note_id"]:
            return Decimal(str(note.get("RemainingCredit", "0")))
    raise PermanentError(
        f"credit note {item['credit_note_id']} (reference {item.get('reference')!r}) is not in Xero",
        code="xero.credit_note_missing",
        field="input.credit_note_id",
    )


def find_refund(client: XeroClient, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """A refund already paid out against this credit note (looked up after an uncertain attempt)."""
    notes = client.get("CreditNotes", {"where": f"Reference=={quote(str(item.get('reference', '')))}"})
    for note in notes:
        if note.get("CreditNoteID") == item["credit_note_id"] and note.get("Payments"):
            payment = note["Payments"][0]
            return {
                "PaymentID": payment["PaymentID"],
                "Amount": payment["Amount"],
                "CreditNote": {"CreditNoteID": item["credit_note_id"]},
            }
    return None


@register
class RefundCreditNote(BatchedXeroNode):
    """Pays out a credit note's remaining credit (the money went back to the buyer), exactly once.

    A refund on an order whose invoice was already paid leaves credit on the
    contact; the marketplace paid that money back out of the clearing account,
    so the refund payment comes from the same account.
    """

    type = "xero.credit_note.refund"
    title = "Refund Xero credit note"
    icon = "corner-up-left"
    option_sources = ("account_code",)
    config_schema = {
        "type": "object",
        "required": ["account_code"],
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "account_code": {
                "type": "string",
                "title": "Paid out of account",
                "description": "The bank or clearing account the refund left (payments enabled).",
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["credit_note_id"],
        "properties": {
            "credit_note_id": {"type": "string"},
            "amount": {"type": ["string", "number"], "description": "Empty: whatever credit is left on the note."},
            "date": {"type": "string"},
            "reference": {"type": "string", "description": "The credit note's reference (used to look a repeat up)."},
        },
    }

    def execute_batch(self, calls: Sequence[tuple[Any, Any]]) -> list[Any]:
        results: list[Any] = [None] * len(calls)
        pending: list[tuple[int, tuple[Any, Any]]] = []
        client = client_for(calls[0][0])
        for index, (context, item) in enumerate(calls):
            if item.get("amount") in (None, ""):
                try:
                    left = remaining_credit(client, item)
                except NodeError as exc:
                    results[index] = exc
                    continue
                if left <= 0:
                    results[index] = {"refunded": "0", "reason": "no credit is left on the credit note"}
                    continue
                item = {**item, "amount": str(left)}
            pending.append((index, (context, item)))
        if pending:
            done = self._refund([call for _, call in pending])
            for (index, _), result in zip(pending, done, strict=True):
                results[index] = result
        return results

    def _refund(self, calls: Sequence[tuple[Any, Any]]) -> list[Any]:
        def element(context: Any, item: Mapping[str, Any]) -> dict[str, Any]:
            payment: dict[str, Any] = {
                "CreditNote": {"CreditNoteID": item["credit_note_id"]},
                "Account": {"Code": context.config["account_code"]},
                "Amount": amount(item["amount"], "amount"),
            }
            if item.get("date"):
                payment["Date"] = item["date"]
            if item.get("reference"):
                payment["Reference"] = item["reference"]
            return payment

        return create_batched(
            calls,
            collection="Payments",
            kind="credit_refund",
            business_key=lambda item: str(require(item, "credit_note_id")),
            to_element=element,
            find_existing=find_refund,
            remote_id="PaymentID",
        )
