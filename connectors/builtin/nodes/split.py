from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property
from connectors.sdk import FanOut, NodeType, PermanentError, Route, register


@register
class SplitNode(NodeType):
    """Continues each element of an array in its own run (a refund's lines, a settlement's rows)."""

    type = "builtin.split"
    title = "Split into items"
    category = "Logic"
    icon = "list"
    description = "One run per element: each continues on its own, retried and replayed alone."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "path": expression_property("Array", "JSONata giving the array to split; empty: the item itself."),
            "key_expression": expression_property(
                "Element key", "JSONata over each element giving a stable id (default: its position)."
            ),
        },
    }
    sample_input = {"lines": [{"id": "1"}, {"id": "2"}]}

    def execute(self, context: Any, item: Any) -> Any:
        path = context.config.get("path")
        elements = evaluate_for(context, path, item, "config.path") if path else item
        if elements is None:
            elements = []
        if not isinstance(elements, list):
            raise PermanentError("the value to split is not an array", code="not_an_array", field="config.path")
        if not elements:
            context.log("nothing to split")
            return Route({})
        key_expression = context.config.get("key_expression")
        keys = None
        if key_expression:
            keys = [
                str(evaluate_for(context, key_expression, element, "config.key_expression")) for element in elements
            ]
            if len(set(keys)) != len(keys):
                raise PermanentError(
                    "element keys repeat; choose an expression that is unique per element",
                    field="config.key_expression",
                )
        return FanOut(items=elements, keys=keys)
