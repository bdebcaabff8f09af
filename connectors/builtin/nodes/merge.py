from __future__ import annotations

from typing import Any

from connectors.sdk import NodeType, PermanentError, Port, register


@register
class MergeNode(NodeType):
    """Joins two branches: merges objects, appends, or passes on whichever arrived."""

    type = "builtin.merge"
    title = "Merge"
    category = "Logic"
    icon = "merge"
    description = "Bring two branches together into one item."
    inputs = (Port("a", "A"), Port("b", "B", required=False))
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {
                "enum": ["merge_objects", "append", "pick_first"],
                "title": "Mode",
                "description": "Merge B's fields over A's, make a list [A, B], or pass on the first that arrived.",
                "default": "merge_objects",
            }
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        received = item if isinstance(item, dict) else {}
        mode = context.config.get("mode", "merge_objects")
        if mode == "pick_first":
            return received.get("a", received.get("b"))
        if mode == "append":
            return [received[port] for port in ("a", "b") if port in received]
        a, b = received.get("a", {}), received.get("b", {})
        if not isinstance(a, dict) or not isinstance(b, dict):
            raise PermanentError(
                "merge_objects needs objects on both inputs; use append for other values", field="config.mode"
            )
        return {**a, **b}
