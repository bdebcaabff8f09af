from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.sdk import NodeError, NodeType, PermanentError, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for
from connectors.walmart.nodes.update_inventory import UpdateInventory


def available(context: Any, item: Any) -> int:
    """On-hand less the safety stock, never below zero.

    Raises:
        PermanentError: the quantity is not a number.
    """
    try:
        on_hand = int(float(str(item["quantity"])))
    except (KeyError, ValueError):
        raise PermanentError(f"quantity {item.get('quantity')!r} is not a number", field="input.quantity") from None
    return max(0, on_hand - int(context.config.get("safety_stock", 0)))


@register
class SyncInventory(NodeType):
    """Sets SKUs' available quantity on Walmart (on hand less the safety stock), many runs at once.

    Stock changes of many items arriving together travel as one bulk inventory
    feed (``POST /v3/feeds?feedType=inventory``); a few go as single
    ``PUT /v3/inventory`` calls, which apply at once. Setting an absolute
    quantity is idempotent, so a repeat changes nothing.
    """

    type = "walmart.inventory.sync"
    title = "Sync Walmart inventory (single or bulk feed)"
    category = "Walmart"
    icon = "package"
    connection_kind = "walmart"
    side_effects = True
    batchable = True
    batch_size = 500
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "safety_stock": UpdateInventory.config_schema["properties"]["safety_stock"],
            "bulk_from": {
                "type": "integer",
                "title": "Use the bulk feed from this many SKUs",
                "minimum": 2,
                "default": 10,
            },
        },
    }
    input_schema = {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {"sku": {"type": "string", "minLength": 1}, "quantity": {"type": ["number", "string"]}},
    }
    sample_input = {"sku": "MUG-01", "quantity": "42"}

    def execute(self, context: Any, item: Any) -> Any:
        [result] = self.execute_batch([(context, item)])
        if isinstance(result, NodeError):
            raise result
        return result

    def execute_batch(self, calls: Sequence[tuple[Any, Any]]) -> list[Any]:
        results: list[Any] = [None] * len(calls)
        wanted: dict[str, tuple[int, list[int]]] = {}
        for index, (context, item) in enumerate(calls):
            try:
                amount = available(context, item)
            except PermanentError as exc:
                results[index] = exc
                continue
            previous = wanted.get(str(item["sku"]), (amount, []))[1]
            wanted[str(item["sku"])] = (amount, [*previous, index])  # the latest change of a SKU wins
        if not wanted:
            return results
        client = client_for(calls[0][0])
        bulk_from = int(calls[0][0].config.get("bulk_from", 10))
        if len(wanted) >= bulk_from:
            feed = {
                "InventoryHeader": {"version": "1.4"},
                "Inventory": [
                    {"sku": sku, "quantity": {"unit": "EACH", "amount": amount}} for sku, (amount, _) in wanted.items()
                ],
            }
            try:
                feed_id = client.submit_feed("inventory", feed)
            except NodeError as exc:
                return [exc if result is None else result for result in results]
            for sku, (amount, indexes) in wanted.items():
                for index in indexes:
                    results[index] = {"sku": sku, "amount": amount, "via": "feed", "feed_id": feed_id}
            return results
        for sku, (amount, indexes) in wanted.items():
            try:
                answer: Any = {**client.update_inventory(sku, amount), "via": "single"}
            except NodeError as exc:
                answer = exc
            for index in indexes:
                results[index] = answer
        return results
