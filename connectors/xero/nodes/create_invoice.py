from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.sdk import register
from connectors.xero.client import XeroClient, quote
from connectors.xero.nodes.common import CONNECTION_FIELD, BatchedXeroNode, amount, create_batched, require

LINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["description", "quantity", "unit_amount", "account_code"],
    "properties": {
        "description": {"type": "string"},
        "quantity": {"type": ["string", "number"]},
        "unit_amount": {
            "type": ["string", "number"],
            "description": "Net or gross per line_amount_types; a string keeps every cent.",
        },
        "item_code": {"type": ["string", "null"]},
        "account_code": {"type": "string"},
        "tax_type": {"type": ["string", "null"]},
        "discount_amount": {"type": ["string", "number", "null"]},
        "tracking": {"type": "array", "items": {"type": "object", "required": ["name", "option"]}},
    },
}


def invoice_key(item: Mapping[str, Any]) -> str:
    return str(item.get("invoice_number") or require(item, "reference"))


def to_element(context: Any, item: Mapping[str, Any]) -> dict[str, Any]:
    lines = []
    for line in item["lines"]:
        element: dict[str, Any] = {
            "Description": line["description"],
            "Quantity": amount(line["quantity"], "quantity"),
            "UnitAmount": amount(line["unit_amount"], "unit_amount"),
            "AccountCode": line["account_code"],
        }
        if line.get("item_code"):
            element["ItemCode"] = line["item_code"]
        if line.get("tax_type"):
            element["TaxType"] = line["tax_type"]
        if line.get("discount_amount") not in (None, ""):
            element["DiscountAmount"] = amount(line["discount_amount"], "discount_amount")
        if line.get("tracking"):
            element["Tracking"] = [{"Name": t["name"], "Option": t["option"]} for t in line["tracking"]]
        lines.append(element)
    invoice: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": require(item, "contact_id")},
        "LineItems": lines,
        "LineAmountTypes": item.get("line_amount_types") or context.config.get("line_amount_types", "Exclusive"),
        "Status": item.get("status") or context.config.get("status", "AUTHORISED"),
    }
    for source, target in (
        ("date", "Date"),
        ("due_date", "DueDate"),
        ("reference", "Reference"),
        ("invoice_number", "InvoiceNumber"),
        ("currency_code", "CurrencyCode"),
        ("currency_rate", "CurrencyRate"),
    ):
        if item.get(source) not in (None, ""):
            invoice[target] = str(item[source])
    return invoice


def find_invoice(client: XeroClient, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """An invoice already created for this order (looked up after an uncertain attempt)."""
    if item.get("invoice_number"):
        found = client.get("Invoices", {"InvoiceNumbers": item["invoice_number"]})
    else:
        found = client.get("Invoices", {"where": f"Reference=={quote(str(item['reference']))}"})
    live = [invoice for invoice in found if invoice.get("Status") not in {"DELETED", "VOIDED"}]
    return dict(live[0]) if live else None


def find_invoices(client: XeroClient, items: list[Mapping[str, Any]]) -> list[dict[str, Any] | None]:
    """``find_invoice`` for many: the invoices with a number in one request per 40, the others one by one."""
    numbered = sorted({str(item["invoice_number"]) for item in items if item.get("invoice_number")})
    by_number: dict[str, dict[str, Any]] = {}
    for start in range(0, len(numbered), 40):
        for invoice in client.get("Invoices", {"InvoiceNumbers": ",".join(numbered[start : start + 40])}):
            if invoice.get("Status") not in {"DELETED", "VOIDED"} and invoice.get("InvoiceNumber"):
                by_number.setdefault(str(invoice["InvoiceNumber"]), dict(invoice))
    return [
        by_number.get(str(item["invoice_number"])) if item.get("invoice_number") else find_invoice(client, item)
        for item in items
    ]


@register
class CreateInvoice(BatchedXeroNode):
    """Creates the sales invoice (ACCREC) for an order, exactly once, many orders per Xero call.

    The business key is the invoice number (or the reference): the effect
    ledger, Xero's Idempotency-Key and a lookup by number after an uncertain
    attempt make a repeat return the first invoice instead of a second one.
    """

    type = "xero.invoice.create"
    title = "Create Xero invoice"
    icon = "file-plus"
    batch_size = 50
    option_sources = ("account_code", "tax_type", "currency_code", "tracking")
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "status": {"enum": ["DRAFT", "AUTHORISED"], "title": "Create as", "default": "AUTHORISED"},
            "line_amount_types": {
                "enum": ["Exclusive", "Inclusive", "NoTax"],
                "title": "Line amounts are",
                "default": "Exclusive",
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["contact_id", "lines"],
        "properties": {
            "contact_id": {"type": "string"},
            "reference": {"type": "string"},
            "invoice_number": {"type": "string"},
            "date": {"type": "string"},
            "due_date": {"type": "string"},
            "currency_code": {"type": "string"},
            "currency_rate": {"type": ["string", "number"]},
            "lines": {"type": "array", "minItems": 1, "items": LINE_SCHEMA},
        },
        "anyOf": [{"required": ["reference"]}, {"required": ["invoice_number"]}],
    }
    sample_input = {
        "contact_id": "00000000-0000-0000-0000-000000000000",
        "reference": "1800000000001",
        "invoice_number": "WM-1800000000001",
        "lines": [
            {
                "description": "Stoneware Mug 12oz",
                "quantity": 2,
                "unit_amount": "12.50",
                "account_code": "200",
                "tax_type": "TAX001",
            }
        ],
    }

    def execute_batch(self, calls: Sequence[tuple[Any, Any]]) -> list[Any]:
        return create_batched(
            calls,
            collection="Invoices",
            kind="invoice",
            business_key=invoice_key,
            to_element=to_element,
            find_existing=find_invoice,
            find_many=find_invoices,
            remote_id="InvoiceID",
        )
