from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, PURCHASE_ORDER_INPUT, client_for


@register
class GetOrder(NodeType):
    """Fetches the whole purchase order (e.g. after a webhook that carries only its id)."""

    type = "walmart.order.get"
    title = "Get Walmart order"
    category = "Walmart"
    icon = "file-text"
    connection_kind = "walmart"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"connection": CONNECTION_FIELD},
    }
    input_schema = PURCHASE_ORDER_INPUT
    sample_input = {"purchaseOrderId": "1800000000000"}

    def execute(self, context: Any, item: Any) -> Any:
        return client_for(context).order(item["purchaseOrderId"])
