from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property
from connectors.builtin.paths import set_path
from connectors.sdk import NodeType, PermanentError, ReviewRequired, register


@register
class LookupNode(NodeType):
    """Looks a key up in a table edited on the canvas (SKU → item code, tax → tax type ...)."""

    type = "builtin.lookup"
    title = "Lookup table"
    category = "Data"
    icon = "table"
    description = "Translate a value with a table, with a policy for values the table lacks."
    config_schema = {
        "type": "object",
        "required": ["table", "key_expression"],
        "additionalProperties": False,
        "properties": {
            "table": {
                "type": "array",
                "title": "Table",
                "items": {
                    "type": "object",
                    "required": ["key", "value"],
                    "additionalProperties": False,
                    "properties": {"key": {"type": "string", "title": "Key"}, "value": {"title": "Value"}},
                },
                "default": [],
            },
            "key_expression": expression_property("Key", "JSONata over the item giving the key to look up, e.g. sku."),
            "target": {
                "type": "string",
                "title": "Put the value in",
                "description": "Dotted path on a copy of the item.",
                "default": "lookup",
                "minLength": 1,
            },
            "missing": {
                "enum": ["fail", "default", "review"],
                "title": "When the key is not in the table",
                "description": "Fail the run, use the default value, or hold the run for review.",
                "default": "review",
            },
            "default_value": {"title": "Default value"},
        },
    }
    sample_input = {"sku": "MUG-01"}

    def execute(self, context: Any, item: Any) -> Any:
        key = evaluate_for(context, context.config["key_expression"], item, "config.key_expression")
        table = {str(row["key"]): row["value"] for row in context.config["table"]}
        target = context.config.get("target") or "lookup"
        lookup_key = "" if key is None else str(key)
        if lookup_key in table:
            return set_path(item, target, table[lookup_key])
        policy = context.config.get("missing", "review")
        if policy == "default":
            return set_path(item, target, context.config.get("default_value"))
        message = f"{lookup_key!r} is not in the lookup table: add it to the table, then replay"
        if policy == "review":
            raise ReviewRequired(message, code="lookup_missing", details={"key": lookup_key})
        raise PermanentError(message, code="lookup_missing", field="config.table", details={"key": lookup_key})
