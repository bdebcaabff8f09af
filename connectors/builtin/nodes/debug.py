from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property
from connectors.sdk import NodeType, register


@register
class DebugNode(NodeType):
    """Writes a line to the run's log (visible live on the canvas) and passes the item on."""

    type = "builtin.debug"
    title = "Debug / log"
    category = "Utilities"
    icon = "bug"
    description = "Log the item, or part of it, to the run."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "label": {"type": "string", "title": "Label", "default": "debug"},
            "expression": expression_property("What to log", "JSONata over the item; empty: the whole item."),
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        expression = context.config.get("expression")
        value = evaluate_for(context, expression, item, "config.expression") if expression else item
        context.log(context.config.get("label") or "debug", value=value)
        return item
