from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.sdk import register
from connectors.xero.client import XeroClient
from connectors.xero.nodes.common import CONNECTION_FIELD, BatchedXeroNode, amount, create_batched, require


def payment_key(item: Mapping[str, Any]) -> str:
    return str(item.get("payment_key") or f"{require(item, 'invoice_id')}:{require(item, 'amount')}")


def find_payment(client: XeroClient, item: Mapping[str, Any]) -> dict[str, Any] | None:
    return find_payments(client, [item])[0]


def _payment_on(invoice: Mapping[str, Any] | None, item: Mapping[str, Any]) -> dict[str, Any] | None:
    if invoice is None:
        return None
    for payment in invoice.get("Payments", []):
        if str(payment.get("Amount")) == str(item["amount"]):
            return {
                "PaymentID": payment["PaymentID"],
                "Amount": payment["Amount"],
                "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            }
    return None


def find_payments(client: XeroClient, items: list[Mapping[str, Any]]) -> list[dict[str, Any] | None]:
    """The payment of this amount already on each item's invoice: the invoices read 40 per request."""
    ids = sorted({str(item["invoice_id"]) for item in items})
    invoices: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 40):
        for invoice in client.get("Invoices", {"IDs": ",".join(ids[start : start + 40])}):
            invoices[str(invoice["InvoiceID"])] = dict(invoice)
    return [_payment_on(invoices.get(str(item["invoice_id"])), item) for item in items]


@register
class CreatePayment(BatchedXeroNode):
    """Records a payment against an invoice on the clearing or bank account, exactly once."""

    type = "xero.payment.create"
    title = "Create Xero payment"
    icon = "credit-card"
    option_sources = ("account_code",)
    config_schema = {
        "type": "object",
        "required": ["account_code"],
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "account_code": {
                "type": "string",
                "title": "Paid into account",
                "description": "A bank or clearing account with payments enabled.",
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["invoice_id", "amount"],
        "properties": {
            "invoice_id": {"type": "string"},
            "amount": {"type": ["string", "number"]},
            "date": {"type": "string"},
            "reference": {"type": "string"},
            "payment_key": {"type": "string", "description": "A stable id of this payment at its source."},
        },
    }

    def execute_batch(self, calls: Sequence[tuple[Any, Any]]) -> list[Any]:
        def element(context: Any, item: Mapping[str, Any]) -> dict[str, Any]:
            payment: dict[str, Any] = {
                "Invoice": {"InvoiceID": item["invoice_id"]},
                "Account": {"Code": context.config["account_code"]},
                "Amount": amount(item["amount"], "amount"),
            }
            for source, target in (("date", "Date"), ("reference", "Reference")):
                if item.get(source):
                    payment[target] = item[source]
            return payment

        return create_batched(
            calls,
            collection="Payments",
            kind="payment",
            business_key=payment_key,
            to_element=element,
            find_existing=find_payment,
            find_many=find_payments,
            remote_id="PaymentID",
        )
