from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for


@register
class GetInventory(NodeType):
    """A SKU's quantity on Walmart."""

    type = "walmart.inventory.get"
    title = "Get Walmart inventory"
    category = "Walmart"
    icon = "package"
    connection_kind = "walmart"
    config_schema = {"type": "object", "additionalProperties": False, "properties": {"connection": CONNECTION_FIELD}}
    input_schema = {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string", "minLength": 1}}}
    sample_input = {"sku": "MUG-01"}

    def execute(self, context: Any, item: Any) -> Any:
        return client_for(context).inventory(item["sku"])
