from __future__ import annotations

import hashlib
import json
from typing import Any

from connectors.sdk import NodeType, PermanentError, RetryPolicy, TransientError, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for

#: Walmart recommends at most 1,000 items per feed (10,000 is the hard limit).
MAX_ITEMS = 1000


def _amount(value: Any, index: int, safety: int) -> int:
    try:
        on_hand = int(float(value))
    except (TypeError, ValueError):
        raise PermanentError(
            f"item {index}: quantity {value!r} is not a number", field=f"input.items.{index}.quantity"
        ) from None
    return max(0, on_hand - safety)


def feed_content(items: list[dict[str, Any]], safety: int) -> tuple[str, dict[str, Any]]:
    """``(feedType, file)``: v1.5 ``MP_INVENTORY`` when any item names a ship node, else v1.4 ``inventory``."""
    if any(item.get("shipNode") for item in items):
        nodes: dict[str, list[dict[str, Any]]] = {}
        for index, item in enumerate(items):
            if not item.get("shipNode"):
                raise PermanentError(
                    f"item {index}: give every item a shipNode, or none", field=f"input.items.{index}.shipNode"
                )
            quantity = {"unit": "EACH", "amount": _amount(item["quantity"], index, safety)}
            nodes.setdefault(item["sku"], []).append({"shipNode": str(item["shipNode"]), "quantity": quantity})
        by_node = [{"sku": sku, "shipNodes": ship_nodes} for sku, ship_nodes in nodes.items()]
        multi_node: dict[str, Any] = {"inventoryHeader": {"version": "1.5"}, "inventory": by_node}
        return "MP_INVENTORY", multi_node
    rows = [
        {"sku": item["sku"], "quantity": {"unit": "EACH", "amount": _amount(item["quantity"], index, safety)}}
        for index, item in enumerate(items)
    ]
    feed: dict[str, Any] = {"InventoryHeader": {"version": "1.4"}, "Inventory": rows}
    return "inventory", feed


@register
class BulkUpdateInventory(NodeType):
    """Sets many SKUs' quantities in one Walmart bulk feed (``POST /v3/feeds``).

    The feed is submitted once per run (effect ledger keyed by its content); with
    "wait for processing" the node then checks the feed until Walmart has
    processed it, and fails with the SKUs Walmart refused if any were.
    """

    type = "walmart.inventory.bulk_update"
    title = "Bulk update Walmart inventory"
    category = "Walmart"
    icon = "layers"
    connection_kind = "walmart"
    side_effects = True
    retry = RetryPolicy(max_attempts=12, base_delay=5.0, max_delay=300.0)
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "safety_stock": {"type": "integer", "title": "Safety stock", "minimum": 0, "default": 0},
            "wait_for_processing": {
                "type": "boolean",
                "title": "Wait until Walmart processed the feed",
                "default": True,
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ITEMS,
                "items": {
                    "type": "object",
                    "required": ["sku", "quantity"],
                    "properties": {
                        "sku": {"type": "string", "minLength": 1},
                        "quantity": {"type": ["number", "string"]},
                        "shipNode": {"type": "string"},
                    },
                },
            }
        },
    }
    output_schema = {
        "type": "object",
        "required": ["feedId", "feedType", "feedStatus"],
        "properties": {"feedId": {"type": "string"}, "feedType": {"type": "string"}, "feedStatus": {"type": "string"}},
    }
    sample_input = {"items": [{"sku": "MUG-01", "quantity": 40}, {"sku": "TEE-02", "quantity": 12}]}

    def execute(self, context: Any, item: Any) -> Any:
        feed_type, content = feed_content(list(item["items"]), int(context.config.get("safety_stock", 0)))
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
        effect = context.effect("inventory_feed", digest, context.run_id)
        client = client_for(context)
        if effect.previous is not None:
            submitted = dict(effect.previous)
        else:
            if effect.uncertain:
                # Walmart cannot find a feed by content; a repeated quantity feed sets the same values.
                context.log("an earlier attempt may have sent this feed; sending it again (same quantities)")
            feed_id = client.submit_feed(feed_type, content)
            submitted = {
                "feedId": feed_id,
                "feedType": feed_type,
                "feedStatus": "RECEIVED",
                "items": len(item["items"]),
            }
            effect.record(submitted, remote_id=feed_id)
        if not context.config.get("wait_for_processing", True):
            return submitted
        return {**submitted, **processed(client.feed_status(submitted["feedId"]))}


def processed(status: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a processed feed, or TransientError while Walmart is still at it.

    Raises:
        TransientError: the feed is not processed yet (the engine checks again later).
        PermanentError: Walmart refused the feed or some of its items (their SKUs and reasons).
    """
    state = status.get("feedStatus")
    if state in {"RECEIVED", "INPROGRESS"}:
        raise TransientError(f"Walmart is still processing feed {status.get('feedId')}", code="walmart.feed_processing")
    refused = [
        {
            "sku": d.get("sku"),
            "reason": "; ".join(e.get("description", "") for e in d["ingestionErrors"]["ingestionError"]),
        }
        for d in status.get("itemDetails", {}).get("itemIngestionStatus", [])
        if d.get("ingestionStatus") != "SUCCESS" and d.get("ingestionErrors")
    ]
    if state == "ERROR" or refused:
        names = ", ".join(f"{r['sku']} ({r['reason']})" for r in refused[:10]) or "the whole feed"
        raise PermanentError(
            f"Walmart refused {names} in feed {status.get('feedId')}; fix those SKUs and replay",
            code="walmart.feed_refused",
            details=refused,
        )
    return {
        "feedStatus": state,
        "itemsReceived": status.get("itemsReceived"),
        "itemsSucceeded": status.get("itemsSucceeded"),
        "itemsFailed": status.get("itemsFailed"),
    }
