"""What the Walmart node types share: the connection field and the client for a context."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from connectors.sdk import PermanentError
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


def change_key(order: dict[str, Any]) -> str:
    """One state of an order, for deduplicating trigger events: the purchase order, when it last
    changed, and its refunds. A refund changes neither ``orderDate`` nor a line's ``statusDate``,
    so without them a refund on an order already seen would look like a repeat and be dropped."""
    key = f"{order['purchaseOrderId']}:{modified_ms(order)}"
    refunds = sorted(
        f"{line.get('lineNumber')}/{line['refund'].get('refundId', '')}/"
        f"{len(line['refund'].get('refundCharges', {}).get('refundCharge', []))}"
        for line in order.get("orderLines", {}).get("orderLine", [])
        if isinstance(line.get("refund"), dict)
    )
    if refunds:
        key += ":r" + hashlib.sha256(",".join(refunds).encode()).hexdigest()[:12]
    return key


def modified_ms(order: dict[str, Any]) -> int:
    """When the order last changed, as far as the order itself tells."""
    stamps = [int(order.get("orderDate", 0))]
    stamps += [int(line.get("statusDate", 0)) for line in order.get("orderLines", {}).get("orderLine", [])]
    return max(stamps)


def select_lines(order: dict[str, Any], wanted: list[str] | None) -> list[dict[str, Any]]:
    """The order's lines named in ``wanted`` (all when empty).

    Raises:
        PermanentError: a named line is not on the order.
    """
    names = set(wanted or [])
    lines = [line for line in order["orderLines"]["orderLine"] if not names or line["lineNumber"] in names]
    missing = names - {line["lineNumber"] for line in lines}
    if missing:
        raise PermanentError(f"order {order['purchaseOrderId']} has no lines {sorted(missing)}", field="input.lines")
    return lines


def open_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines that can still be shipped or cancelled."""
    return [line for line in lines if line_status(line) in {"Created", "Acknowledged"}]


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as the ISO 8601 time Walmart's date filters take."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
