from __future__ import annotations

from connectors.sdk import TriggerNodeType, register


@register
class ScheduleTrigger(TriggerNodeType):
    """Starts a run at the times a cron expression names (the scheduler fires it)."""

    type = "builtin.trigger.schedule"
    title = "Schedule"
    icon = "clock"
    description = "Start the flow on a schedule, e.g. every day at 06:00."
    kind = "schedule"
    config_schema = {
        "type": "object",
        "required": ["cron"],
        "additionalProperties": False,
        "properties": {
            "cron": {
                "type": "string",
                "title": "Cron expression",
                "description": "Five fields: minute hour day-of-month month day-of-week; 0 6 * * * is 06:00 daily.",
                "pattern": r"^\s*\S+(\s+\S+){4}\s*$",
                "default": "0 6 * * *",
            },
            "timezone": {
                "type": "string",
                "title": "Time zone",
                "description": "IANA name, e.g. Europe/London.",
                "default": "UTC",
                "minLength": 1,
            },
        },
    }
    sample_input = {"scheduled_for": "2026-01-01T06:00:00+00:00"}
