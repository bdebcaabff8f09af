from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sdk import NodeType, PermanentError, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for

REASONS = [
    "BillingError",
    "TaxExemptCustomer",
    "ItemNotAsAdvertised",
    "IncorrectItemReceived",
    "CancelledYetShipped",
    "ItemNotReceivedByCustomer",
    "IncorrectShippingPrice",
    "DamagedItem",
    "DefectiveItem",
    "CustomerChangedMind",
    "CustomerReceivedItemLate",
    "Others",
]


def _negative(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PermanentError(f"{field} {value!r} is not an amount", field=f"input.{field}") from None
    return -abs(amount)


@register
class RefundOrderLines(NodeType):
    """Refunds amounts on order lines (Walmart wants them negative; either sign is accepted here)."""

    type = "walmart.order.refund_lines"
    title = "Refund Walmart order lines"
    category = "Walmart"
    icon = "rotate-ccw"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "reason": {"enum": REASONS, "title": "Reason", "default": "Others"},
        },
    }
    input_schema = {
        "type": "object",
        "required": ["purchaseOrderId", "lines"],
        "properties": {
            "purchaseOrderId": {"type": "string"},
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["lineNumber", "amount"],
                    "properties": {"lineNumber": {"type": "string"}},
                },
            },
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        effect = context.effect(
            "refund", item["purchaseOrderId"], *sorted(str(line["lineNumber"]) for line in item["lines"])
        )
        if effect.previous is not None:
            return dict(effect.previous)
        currency = item.get("currency", "USD")
        reason = context.config.get("reason", "Others")
        lines = []
        for line in item["lines"]:
            charge: dict[str, Any] = {
                "chargeType": "PRODUCT",
                "chargeName": "Item Price",
                "chargeAmount": {"currency": currency, "amount": _negative(line["amount"], "amount")},
            }
            if line.get("tax") not in (None, ""):
                charge["tax"] = {
                    "taxName": "Item Price Tax",
                    "taxAmount": {"currency": currency, "amount": _negative(line["tax"], "tax")},
                }
            lines.append(
                {
                    "lineNumber": str(line["lineNumber"]),
                    "isFullRefund": False,
                    "refunds": {
                        "refund": [
                            {
                                "refundComments": line.get("comment", ""),
                                "refundCharges": {"refundCharge": [{"refundReason": reason, "charge": charge}]},
                            }
                        ]
                    },
                }
            )
        body = {"orderRefund": {"purchaseOrderId": item["purchaseOrderId"], "orderLines": {"orderLine": lines}}}
        order = dict(
            client_for(context).call("POST", f"/v3/orders/{item['purchaseOrderId']}/refund", body=body)["order"]
        )
        effect.record(order, remote_id=item["purchaseOrderId"])
        return order
