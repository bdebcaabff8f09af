from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property, truthy
from connectors.sdk import NodeType, Route, register


@register
class FilterNode(NodeType):
    """Passes the item on when the condition holds; otherwise the run ends here (successfully)."""

    type = "builtin.filter"
    title = "Filter"
    category = "Logic"
    icon = "filter"
    description = "Continue only with items that match a condition."
    config_schema = {
        "type": "object",
        "required": ["condition"],
        "additionalProperties": False,
        "properties": {"condition": expression_property("Condition", "JSONata; true lets the item through.", "true")},
    }

    def execute(self, context: Any, item: Any) -> Any:
        if truthy(evaluate_for(context, context.config["condition"], item, "config.condition")):
            return item
        context.log("filtered out")
        return Route({})
