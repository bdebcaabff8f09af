from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from connectors.sdk import PollingTrigger, PollResult, TriggerEvent, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, change_key, client_for, iso_ms, modified_ms

#: Polls look back this far past the last change seen, so a late write is never missed.
OVERLAP_MS = 2 * 60 * 1000


@register
class NewOrChangedOrders(PollingTrigger):
    """One run per purchase order version: new orders and orders whose lines changed.

    The cursor keeps the latest change seen (less a small overlap) and, during a
    walk through pages, Walmart's ``nextCursor``: a restart continues the walk.
    Event keys are ``<purchaseOrderId>:<last change>``, so a version of an order
    starts one run however often polls overlap.
    """

    type = "walmart.orders.poll"
    title = "New or changed Walmart orders"
    category = "Walmart"
    icon = "shopping-cart"
    connection_kind = "walmart"
    default_interval = 60
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "status": {
                "enum": ["", "Created", "Acknowledged", "Shipped", "Delivered", "Cancelled"],
                "title": "Only with a line in status",
                "default": "",
            },
            "page_size": {"type": "integer", "title": "Orders per page", "minimum": 1, "maximum": 200, "default": 100},
            "start_days_ago": {
                "type": "integer",
                "title": "On the first poll, look back (days)",
                "minimum": 0,
                "maximum": 180,
                "default": 1,
            },
            "interval": {"type": "integer", "title": "Poll every (seconds)", "minimum": 15, "default": 60},
        },
    }
    output_schema = {
        "type": "object",
        "required": ["purchaseOrderId"],
        "properties": {"purchaseOrderId": {"type": "string"}},
    }

    def poll(self, context: Any, cursor: Mapping[str, Any] | None) -> PollResult:
        config = context.config
        cursor = dict(cursor or {})
        since = int(cursor.get("since") or (time.time() - 86_400 * int(config.get("start_days_ago", 1))) * 1000)
        params: dict[str, Any] = {
            "limit": str(config.get("page_size", 100)),
            "lastModifiedStartDate": iso_ms(max(0, since - OVERLAP_MS)),
        }
        if config.get("status"):
            params["status"] = config["status"]
        page = client_for(context).orders_page(params, cursor.get("next"))
        events = [TriggerEvent(key=change_key(order), payload=order) for order in page["orders"]]
        walk_max = max([int(cursor.get("walk_max", since)), *(modified_ms(order) for order in page["orders"])])
        next_page = page["meta"].get("nextCursor")
        if next_page:
            more = {"since": since, "next": next_page, "walk_max": walk_max}
            total = page["meta"].get("totalCount")
            if isinstance(total, int) and total > 0:
                more["total"] = total  # what the walk will find: a backfill's progress and ETA
            return PollResult(events=events, cursor=more, more=True)
        return PollResult(events=events, cursor={"since": walk_max})
