from __future__ import annotations

from connectors.sdk import TriggerNodeType, register


@register
class ManualTrigger(TriggerNodeType):
    """Starts a run with the JSON given to "Run" (the canvas) or ``POST /api/workflows/{id}/runs/``."""

    type = "builtin.trigger.manual"
    title = "Manual trigger"
    icon = "play"
    description = "Start the flow by hand or through the API, with a JSON input."
    kind = "manual"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "sample": {
                "title": "Sample input",
                "description": "Offered as the input when you press Run on the canvas.",
                "format": "json",
            }
        },
    }
    sample_input = {"example": True}
