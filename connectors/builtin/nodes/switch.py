from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property, truthy
from connectors.sdk import NodeType, Port, Route, register

#: Switch cases route to fixed ports, so the canvas can draw them before any run.
CASE_PORTS = tuple(f"case_{index}" for index in range(1, 9))


@register
class SwitchNode(NodeType):
    """Routes the item to the port of the first (or every) case whose condition holds, else ``default``."""

    type = "builtin.switch"
    title = "Switch"
    category = "Logic"
    icon = "split"
    description = "Route items to up to eight outputs by conditions, with a default."
    config_schema = {
        "type": "object",
        "required": ["cases"],
        "additionalProperties": False,
        "properties": {
            "cases": {
                "type": "array",
                "title": "Cases",
                "maxItems": len(CASE_PORTS),
                "items": {
                    "type": "object",
                    "required": ["port", "condition"],
                    "additionalProperties": False,
                    "properties": {
                        "port": {"enum": list(CASE_PORTS), "title": "Output"},
                        "condition": expression_property("Condition", "JSONata over the item."),
                    },
                },
            },
            "mode": {
                "enum": ["first", "all"],
                "title": "Matching",
                "description": "Send to the first matching case only, or to every matching case.",
                "default": "first",
            },
        },
    }
    outputs = (*(Port(name, f"Case {name.rsplit('_', 1)[1]}") for name in CASE_PORTS), Port("default", "Default"))

    def execute(self, context: Any, item: Any) -> Any:
        routes: dict[str, Any] = {}
        for index, case in enumerate(context.config["cases"]):
            if truthy(evaluate_for(context, case["condition"], item, f"config.cases.{index}.condition")):
                routes[case["port"]] = item
                if context.config.get("mode", "first") == "first":
                    break
        return Route(routes or {"default": item})
