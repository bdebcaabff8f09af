from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, PURCHASE_ORDER_INPUT, client_for


@register
class AcknowledgeOrder(NodeType):
    """Acknowledges the order's open lines (Walmart expects it within hours of the order).

    Acknowledging twice is harmless: Walmart keeps the lines acknowledged.
    """

    type = "walmart.order.acknowledge"
    title = "Acknowledge Walmart order"
    category = "Walmart"
    icon = "check"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"connection": CONNECTION_FIELD},
    }
    input_schema = PURCHASE_ORDER_INPUT
    sample_input = {"purchaseOrderId": "1800000000000"}

    def execute(self, context: Any, item: Any) -> Any:
        return client_for(context).acknowledge(item["purchaseOrderId"])
