from __future__ import annotations

from typing import Any

from connectors.sdk import PermanentError, TransientError, register
from connectors.xero.client import quote
from connectors.xero.nodes.common import CONNECTION_FIELD, XERO_RETRY, XeroNode, client_for

#: Waits for the invoice of an order that another workflow has not posted yet (a few minutes in all).
FIND_RETRY = XERO_RETRY


@register
class FindInvoice(XeroNode):
    """The live sales invoice for a reference (e.g. the Walmart purchase order id) or an invoice number.

    Payments and credit notes need the invoice their order was billed on. When
    it is not there yet (the invoicing run is still on its way) the node
    retries; ``when_missing`` = ``fail`` sends the run to the dead-letter queue at once.
    """

    type = "xero.invoice.find"
    title = "Find Xero invoice"
    icon = "search"
    retry = FIND_RETRY
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "into": {
                "type": "string",
                "title": "Put the invoice in field",
                "description": "Empty: the output is the invoice itself.",
                "default": "",
            },
            "when_missing": {"enum": ["retry", "fail"], "title": "When there is no invoice", "default": "retry"},
        },
    }
    input_schema = {
        "type": "object",
        "properties": {"reference": {"type": "string"}, "invoice_number": {"type": "string"}},
        "anyOf": [{"required": ["reference"]}, {"required": ["invoice_number"]}],
    }
    sample_input = {"reference": "1800000000001"}

    def execute(self, context: Any, item: Any) -> Any:
        client = client_for(context)
        if item.get("invoice_number"):
            found = client.get("Invoices", {"InvoiceNumbers": str(item["invoice_number"])})
            wanted = f"invoice number {item['invoice_number']}"
        else:
            found = client.get("Invoices", {"where": f"Reference=={quote(str(item['reference']))}"})
            wanted = f"reference {item['reference']}"
        live = [
            i for i in found if i.get("Type", "ACCREC") == "ACCREC" and i.get("Status") not in {"DELETED", "VOIDED"}
        ]
        if not live:
            message = f"no live sales invoice with {wanted} in Xero"
            if context.config.get("when_missing") == "fail":
                raise PermanentError(message, code="xero.invoice_missing", field="input")
            raise TransientError(
                message + " yet (its invoice run may still be on its way)", code="xero.invoice_missing"
            )
        invoice = dict(live[0])
        into = str(context.config.get("into") or "")
        return {**item, into: invoice} if into else invoice
