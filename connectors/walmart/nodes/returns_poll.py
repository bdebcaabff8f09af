from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.sdk import PollingTrigger, PollResult, TriggerEvent, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for, iso_ms
from connectors.walmart.nodes.orders_poll import OVERLAP_MS


def _ms(stamp: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def changed_ms(entry: Mapping[str, Any]) -> int:
    """When the return last changed, as far as it tells (its lines' status times)."""
    stamps = [_ms(entry.get("returnOrderDate"))]
    stamps += [_ms(line.get("statusTime")) for line in entry.get("returnOrderLines", [])]
    return max(stamps)


@register
class ReturnsChanged(PollingTrigger):
    """One run per return order version: new returns and returns whose status changed.

    Like the orders trigger: the cursor holds the latest change seen (polls look
    back a little past it) and, during a walk through pages, Walmart's
    ``nextCursor``. Event keys are ``<returnOrderId>:<last change>``.
    """

    type = "walmart.returns.poll"
    title = "New or changed Walmart returns"
    category = "Walmart"
    icon = "rotate-ccw"
    connection_kind = "walmart"
    default_interval = 300
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "status": {"enum": ["", "INITIATED", "DELIVERED", "COMPLETED"], "title": "Only in status", "default": ""},
            "return_type": {"enum": ["", "REFUND", "REPLACEMENT"], "title": "Only of type", "default": ""},
            "page_size": {"type": "integer", "title": "Returns per page", "minimum": 1, "maximum": 200, "default": 50},
            "start_days_ago": {
                "type": "integer",
                "title": "On the first poll, look back (days)",
                "minimum": 0,
                "maximum": 180,
                "default": 7,
            },
            "interval": {"type": "integer", "title": "Poll every (seconds)", "minimum": 60, "default": 300},
        },
    }
    output_schema = {
        "type": "object",
        "required": ["returnOrderId", "customerOrderId", "returnOrderLines"],
        "properties": {
            "returnOrderId": {"type": "string"},
            "customerOrderId": {"type": "string"},
            "returnOrderLines": {"type": "array"},
        },
    }

    def poll(self, context: Any, cursor: Mapping[str, Any] | None) -> PollResult:
        config = context.config
        state = dict(cursor or {})
        since = int(state.get("since") or (time.time() - 86_400 * int(config.get("start_days_ago", 7))) * 1000)
        params: dict[str, Any] = {
            "limit": str(config.get("page_size", 50)),
            "returnLastModifiedStartDate": iso_ms(max(0, since - OVERLAP_MS)),
        }
        if config.get("status"):
            params["status"] = config["status"]
        if config.get("return_type"):
            params["returnType"] = config["return_type"]
        page = client_for(context).returns_page(params, state.get("next"))
        events = [
            TriggerEvent(key=f"{entry['returnOrderId']}:{changed_ms(entry)}", payload=entry)
            for entry in page["returns"]
        ]
        walk_max = max([int(state.get("walk_max", since)), *(changed_ms(entry) for entry in page["returns"])])
        next_page = page["meta"].get("nextCursor")
        if next_page:
            return PollResult(
                events=events, cursor={"since": since, "next": next_page, "walk_max": walk_max}, more=True
            )
        return PollResult(events=events, cursor={"since": walk_max})
