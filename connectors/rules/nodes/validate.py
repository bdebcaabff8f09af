from __future__ import annotations

from typing import Any

from connectors.builtin.expressions import evaluate_for, expression_property, truthy
from connectors.sdk import NodeType, PermanentError, ReviewRequired, register


@register
class Validate(NodeType):
    """Checks the item against rules; the first rule that finds a problem stops the run with its reason.

    ``review`` puts the run in the review queue (a person decides), ``fail``
    sends it to the dead-letter queue (it must be fixed and replayed).
    """

    type = "rules.validate"
    title = "Validate"
    category = "Business rules"
    icon = "shield"
    config_schema = {
        "type": "object",
        "required": ["checks"],
        "additionalProperties": False,
        "properties": {
            "checks": {
                "type": "array",
                "title": "Checks",
                "items": {
                    "type": "object",
                    "required": ["problem", "reason"],
                    "additionalProperties": False,
                    "properties": {
                        "problem": expression_property("Problem when", "JSONata that is true when the item is wrong."),
                        "outcome": {"enum": ["review", "fail"], "title": "Then", "default": "fail"},
                        "reason": {"type": "string", "title": "Reason (for people)", "minLength": 1},
                        "code": {"type": "string", "title": "Code", "default": "rules.invalid"},
                    },
                },
            }
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        for index, check in enumerate(context.config.get("checks", [])):
            field = f"config.checks[{index}].problem"
            if truthy(evaluate_for(context, check["problem"], item, field)):
                error = ReviewRequired if check.get("outcome") == "review" else PermanentError
                raise error(str(check["reason"]), code=str(check.get("code") or "rules.invalid"), field="input")
        return item
