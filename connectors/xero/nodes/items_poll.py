from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

from connectors.sdk import PollingTrigger, PollResult, TriggerEvent, register
from connectors.xero.client import parse_xero_date
from connectors.xero.nodes.common import CONNECTION_FIELD, client_for


def quantity(value: Any) -> str:
    """Stock as text without a spurious ".0" (96, 2.5)."""
    amount = Decimal(str(value))
    return str(amount.to_integral_value()) if amount == amount.to_integral_value() else format(amount.normalize(), "f")


@register
class ItemsChanged(PollingTrigger):
    """One run per item whose stock or details changed in Xero (``If-Modified-Since``)."""

    type = "xero.items.poll"
    title = "Changed Xero items"
    category = "Xero"
    icon = "package"
    connection_kind = "xero"
    default_interval = 300
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "tracked_only": {"type": "boolean", "title": "Only items tracked as inventory", "default": True},
            "interval": {"type": "integer", "title": "Poll every (seconds)", "minimum": 60, "default": 300},
        },
    }

    def poll(self, context: Any, cursor: Mapping[str, Any] | None) -> PollResult:
        since = (cursor or {}).get("since")
        headers = {"If-Modified-Since": since} if since else None
        items = client_for(context).call("GET", "/Items", headers=headers).get("Items", [])
        if context.config.get("tracked_only", True):
            items = [item for item in items if item.get("IsTrackedAsInventory")]
        events = [
            TriggerEvent(
                key=f"{item['ItemID']}:{item.get('UpdatedDateUTC')}",
                payload={
                    "item_code": item["Code"],
                    "quantity": quantity(item.get("QuantityOnHand", 0)),
                    "item": item,
                },
            )
            for item in items
        ]
        stamps = [parse_xero_date(str(item.get("UpdatedDateUTC", ""))) for item in items]
        newest = max((stamp for stamp in stamps if stamp is not None), default=None)
        next_since = newest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if newest else since
        return PollResult(events=events, cursor={"since": next_since} if next_since else {})
