from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property
from connectors.builtin.paths import set_path
from connectors.sdk import NodeType, PermanentError, register


@register
class MapNode(NodeType):
    """Reshapes the item with JSONata: one expression for the whole output, or one per field.

    Amounts are best carried as strings ("12.50") and converted with ``$number``
    only for arithmetic: JSON numbers are floating point.
    """

    type = "builtin.map"
    title = "Map / transform"
    category = "Data"
    icon = "shuffle"
    description = "Build the next item from this one with JSONata expressions."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {
                "enum": ["expression", "fields"],
                "title": "Mode",
                "description": "One expression for the whole output, or a list of fields.",
                "default": "expression",
            },
            "expression": expression_property("Expression", "JSONata over the item; $trigger is the run's input.", "$"),
            "fields": {
                "type": "array",
                "title": "Fields",
                "description": "Each row sets one field (dotted path) of the output.",
                "items": {
                    "type": "object",
                    "required": ["target", "expression"],
                    "additionalProperties": False,
                    "properties": {
                        "target": {"type": "string", "title": "Field", "minLength": 1},
                        "expression": expression_property("Value", "JSONata over the item."),
                    },
                },
                "default": [],
            },
            "keep_input": {
                "type": "boolean",
                "title": "Start from the input",
                "description": "In fields mode, add the fields to a copy of the input instead of an empty object.",
                "default": False,
            },
        },
    }
    sample_input = {"order_id": "PO-1", "lines": [{"sku": "MUG-01", "qty": 2, "price": "12.50"}]}

    def execute(self, context: Any, item: Any) -> Any:
        if context.config.get("mode", "expression") == "fields":
            result: Any = item if context.config.get("keep_input") and isinstance(item, dict) else {}
            for index, row in enumerate(context.config.get("fields", [])):
                value = evaluate_for(context, row["expression"], item, f"config.fields.{index}.expression")
                result = set_path(result, row["target"], value)
            return result
        expression = context.config.get("expression") or "$"
        result = evaluate_for(context, expression, item, "config.expression")
        if result is None:
            raise PermanentError(
                "the expression gave nothing for this item: check the field names against the input",
                code="empty_result",
                field="config.expression",
            )
        return result
