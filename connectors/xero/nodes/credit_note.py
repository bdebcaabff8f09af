from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.sdk import register
from connectors.xero.client import quote
from connectors.xero.nodes.common import CONNECTION_FIELD, XERO_RETRY, XeroNode, client_for, require
from connectors.xero.nodes.create_invoice import LINE_SCHEMA, to_element


@register
class CreateCreditNote(XeroNode):
    """A refund or return as an ACCRECCREDIT credit note, allocated to the original invoice.

    Allocates the smaller of the credit and what the invoice still owes; the
    rest stays as credit on the contact (for a paid invoice: all of it).
    Both the credit note and the allocation are effects in the ledger.
    """

    type = "xero.credit_note.create"
    title = "Create and allocate Xero credit note"
    icon = "file-minus"
    side_effects = True
    retry = XERO_RETRY
    option_sources = ("account_code", "tax_type", "tracking")
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "line_amount_types": {
                "enum": ["Exclusive", "Inclusive", "NoTax"],
                "title": "Line amounts are",
                "default": "Exclusive",
            },
            "allocate": {"type": "boolean", "title": "Allocate to the invoice", "default": True},
        },
    }
    input_schema = {
        "type": "object",
        "required": ["contact_id", "reference", "lines"],
        "properties": {
            "contact_id": {"type": "string"},
            "reference": {
                "type": "string",
                "description": "The refund's id at its source, e.g. the Walmart refund id.",
            },
            "invoice_id": {"type": "string"},
            "date": {"type": "string"},
            "currency_code": {"type": "string"},
            "lines": {"type": "array", "minItems": 1, "items": LINE_SCHEMA},
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        client = client_for(context)
        effect = context.effect("credit_note", str(require(item, "reference")))
        note = dict(effect.previous) if effect.previous is not None else None
        if note is None and effect.uncertain:
            found = client.get("CreditNotes", {"where": f"Reference=={quote(str(item['reference']))}"})
            note = dict(found[0]) if found else None
            if note is not None:
                effect.record(note, remote_id=note["CreditNoteID"])
        if note is None:
            element = {
                **to_element(context, {**item, "invoice_number": None}),
                "Type": "ACCRECCREDIT",
                "Status": "AUTHORISED",
            }
            element.pop("InvoiceNumber", None)
            note = client.create_one("CreditNotes", element, effect.key)
            effect.record(note, remote_id=note["CreditNoteID"])
        if context.config.get("allocate", True) and item.get("invoice_id"):
            note["allocation"] = self._allocate(context, client, note, item)
        return note

    @staticmethod
    def _allocate(context: Any, client: Any, note: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
        effect = context.effect("allocation", str(note["CreditNoteID"]), str(item["invoice_id"]))
        if effect.previous is not None:
            return dict(effect.previous)
        [invoice] = client.get("Invoices", {"IDs": item["invoice_id"]}) or [None]
        due = Decimal(str(invoice["AmountDue"])) if invoice else Decimal(0)
        amount = min(Decimal(str(note.get("RemainingCredit", note["Total"]))), due)
        if amount <= 0:
            result = {"allocated": "0", "reason": "the invoice owes nothing: the credit stays on the contact"}
        else:
            body = {
                "Allocations": [
                    {
                        "Invoice": {"InvoiceID": item["invoice_id"]},
                        "Amount": amount,
                        "Date": item.get("date") or note.get("Date"),
                    }
                ]
            }
            client.call(
                "PUT", f"/CreditNotes/{note['CreditNoteID']}/Allocations", body=body, idempotency_key=effect.key
            )
            result = {"allocated": str(amount)}
        effect.record(result)
        return result
