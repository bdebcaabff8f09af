"""What the Walmart node types share: the connection field and the client for a context."""

from __future__ import annotations

from typing import Any

from connectors.walmart.client import WalmartClient

CONNECTION_FIELD: dict[str, Any] = {"type": "string", "format": "connection", "title": "Walmart connection"}
PURCHASE_ORDER_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["purchaseOrderId"],
    "properties": {"purchaseOrderId": {"type": "string", "minLength": 1}},
}


def client_for(context: Any) -> WalmartClient:
    return WalmartClient(context.connection())


def line_status(line: dict[str, Any]) -> str:
    return str(line["orderLineStatuses"]["orderLineStatus"][-1]["status"])


def modified_ms(order: dict[str, Any]) -> int:
    """When the order last changed, as far as the order itself tells."""
    stamps = [int(order.get("orderDate", 0))]
    stamps += [int(line.get("statusDate", 0)) for line in order.get("orderLines", {}).get("orderLine", [])]
    return max(stamps)
