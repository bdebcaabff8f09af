from __future__ import annotations

import time
from typing import Any

from connectors.sdk import NodeType, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for, open_lines, select_lines

CARRIER_HELP = (
    "A Walmart carrier name (UPS, USPS, FedEx, ...); anything else is sent as otherCarrier with the tracking URL."
)
KNOWN_CARRIERS = {"UPS", "USPS", "FedEx", "DHL", "OnTrac", "LaserShip", "Amazon Logistics"}


@register
class ShipOrderLines(NodeType):
    """Marks order lines shipped with their tracking (from a warehouse or ERP webhook).

    Lines already shipped are left alone, so a repeated delivery changes nothing.
    """

    type = "walmart.order.ship"
    title = "Ship Walmart order lines"
    category = "Walmart"
    icon = "truck"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "method_code": {
                "enum": ["Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value"],
                "title": "Ship method",
                "default": "Standard",
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["purchaseOrderId", "carrier", "trackingNumber"],
        "properties": {
            "purchaseOrderId": {"type": "string", "minLength": 1},
            "lines": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Line numbers; empty: every open line.",
            },
            "carrier": {"type": "string", "description": CARRIER_HELP},
            "trackingNumber": {"type": "string", "minLength": 1},
            "trackingURL": {"type": "string"},
        },
    }
    sample_input = {"purchaseOrderId": "1800000000000", "carrier": "UPS", "trackingNumber": "1Z999AA10123456784"}

    def execute(self, context: Any, item: Any) -> Any:
        client = client_for(context)
        order = client.order(item["purchaseOrderId"])
        to_ship = open_lines(select_lines(order, item.get("lines")))
        if not to_ship:
            context.log("every requested line is already shipped or closed")
            return order
        carrier = (
            {"carrier": item["carrier"]} if item["carrier"] in KNOWN_CARRIERS else {"otherCarrier": item["carrier"]}
        )
        tracking = {
            "shipDateTime": int(time.time() * 1000),
            "carrierName": carrier,
            "methodCode": context.config.get("method_code", "Standard"),
            "trackingNumber": item["trackingNumber"],
            **({"trackingURL": item["trackingURL"]} if item.get("trackingURL") else {}),
        }
        body = [
            {
                "lineNumber": line["lineNumber"],
                "orderLineStatuses": {
                    "orderLineStatus": [
                        {"status": "Shipped", "statusQuantity": line["orderLineQuantity"], "trackingInfo": tracking}
                    ]
                },
            }
            for line in to_ship
        ]
        return client.ship(item["purchaseOrderId"], body)
