from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for, open_lines, select_lines

REASONS = [
    "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
    "SELLER_CANCEL_PRICING_ERROR",
    "SELLER_CANCEL_OUT_OF_STOCK",
    "SELLER_CANCEL_FRAUD_STOP_SHIPMENT",
    "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE",
]


@register
class CancelOrderLines(NodeType):
    """Cancels open order lines with a reason; lines already cancelled are left alone."""

    type = "walmart.order.cancel_lines"
    title = "Cancel Walmart order lines"
    category = "Walmart"
    icon = "x-circle"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "reason": {"enum": REASONS, "title": "Reason", "default": "SELLER_CANCEL_OUT_OF_STOCK"},
        },
    }
    input_schema = {
        "type": "object",
        "required": ["purchaseOrderId"],
        "properties": {"purchaseOrderId": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}}},
    }

    def execute(self, context: Any, item: Any) -> Any:
        client = client_for(context)
        order = client.order(item["purchaseOrderId"])
        to_cancel = open_lines(select_lines(order, item.get("lines")))
        if not to_cancel:
            context.log("no open lines to cancel")
            return order
        reason = context.config.get("reason", "SELLER_CANCEL_OUT_OF_STOCK")
        body = [
            {
                "lineNumber": line["lineNumber"],
                "orderLineStatuses": {
                    "orderLineStatus": [
                        {
                            "status": "Cancelled",
                            "cancellationReason": reason,
                            "statusQuantity": line["orderLineQuantity"],
                        }
                    ]
                },
            }
            for line in to_cancel
        ]
        return client.cancel(item["purchaseOrderId"], body)
