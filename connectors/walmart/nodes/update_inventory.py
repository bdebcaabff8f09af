from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, PermanentError, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for


@register
class UpdateInventory(NodeType):
    """Sets a SKU's available quantity on Walmart, less a safety buffer (never below zero)."""

    type = "walmart.inventory.update"
    title = "Update Walmart inventory"
    category = "Walmart"
    icon = "package"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "safety_stock": {
                "type": "integer",
                "title": "Safety stock",
                "description": "Units held back from Walmart.",
                "minimum": 0,
                "default": 0,
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {"sku": {"type": "string", "minLength": 1}, "quantity": {"type": ["number", "string"]}},
    }
    sample_input = {"sku": "MUG-01", "quantity": 42}

    def execute(self, context: Any, item: Any) -> Any:
        try:
            on_hand = int(float(item["quantity"]))
        except ValueError:
            raise PermanentError(f"quantity {item['quantity']!r} is not a number", field="input.quantity") from None
        available = max(0, on_hand - int(context.config.get("safety_stock", 0)))
        return client_for(context).update_inventory(item["sku"], available)
