from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property, truthy
from connectors.sdk import NodeType, Port, Route, register


@register
class BranchNode(NodeType):
    """If/else: the item goes out on ``true`` or on ``false``."""

    type = "builtin.branch"
    title = "Branch (if / else)"
    category = "Logic"
    icon = "git-branch"
    description = "Send the item one way or the other depending on a condition."
    config_schema = {
        "type": "object",
        "required": ["condition"],
        "additionalProperties": False,
        "properties": {"condition": expression_property("Condition", "JSONata over the item; e.g. total > 100.")},
    }
    outputs = (Port("true", "True"), Port("false", "False"))

    def execute(self, context: Any, item: Any) -> Any:
        matched = truthy(evaluate_for(context, context.config["condition"], item, "config.condition"))
        return Route({"true" if matched else "false": item})
