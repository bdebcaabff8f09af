"""The Walmart sandbox's prices and feeds: ``PUT /v3/price``, ``POST /v3/feeds`` (inventory,
MP_INVENTORY, price) and the feed status endpoints of ``feeds.json``.

A feed is checked item by item when it arrives: good items take effect, bad
ones are reported in the feed's item details, as Walmart does. The feed reads
``RECEIVED`` until ``STORE.feed_processing_ms`` have passed, then ``PROCESSED``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from connectors.walmart.sandbox.http import api, body_json, gateway_error, json_response
from connectors.walmart.sandbox.store import STORE

PRICE_TYPES = {"BASE", "REDUCED", "CLEARANCE"}
#: Walmart's limit: up to 10,000 items per feed.
MAX_FEED_ITEMS = 10_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _price_problem(entry: Any) -> tuple[str, str] | None:
    """``(field, problem)`` of one ``Price`` element, or None when it is good."""
    if not isinstance(entry, dict) or not entry.get("sku"):
        return "sku", "sku is required"
    if entry["sku"] not in STORE.inventory:
        return "sku", f"sku {entry['sku']} is not in this seller's catalogue"
    pricing = entry.get("pricing")
    if not isinstance(pricing, list) or not pricing:
        return "pricing", "pricing needs at least one price"
    for price in pricing:
        current = price.get("currentPrice") if isinstance(price, dict) else None
        try:
            amount = Decimal(str(current["amount"]))  # type: ignore[index]
        except (TypeError, KeyError, InvalidOperation):
            return "currentPrice", "currentPrice needs an amount"
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            return "currentPrice", "the price must be positive, with at most two decimals"
        if price.get("currentPriceType", "BASE") not in PRICE_TYPES:
            return "currentPriceType", f"currentPriceType must be one of {sorted(PRICE_TYPES)}"
    return None


def _set_price(entry: dict[str, Any]) -> None:
    price = entry["pricing"][0]
    STORE.prices[entry["sku"]] = {
        "amount": Decimal(str(price["currentPrice"]["amount"])),
        "currency": price["currentPrice"].get("currency", "USD"),
        "type": price.get("currentPriceType", "BASE"),
    }


@require_http_methods(["PUT"])
@api("price")
def price(request: HttpRequest) -> HttpResponse:
    entry = body_json(request)
    with STORE.lock:
        problem = _price_problem(entry)
        if problem:
            return gateway_error(400, "INVALID_REQUEST_CONTENT.GMP_PRICE_API", problem[1], field=problem[0])
        _set_price(entry)
    message = (
        "Thank you. Your price has been updated. "
        "Please allow up to five minutes for this change to be reflected on the site."
    )
    return json_response({"ItemPriceResponse": {"mart": "WALMART_US", "message": message, "sku": entry["sku"]}})


def _quantity_problem(quantity: Any) -> str | None:
    if not isinstance(quantity, dict) or quantity.get("unit", "EACH") != "EACH":
        return "quantity must be {unit: EACH, amount}"
    amount = quantity.get("amount")
    if not isinstance(amount, int | Decimal) or int(amount) != amount or amount < 0:
        return "quantity.amount must be a whole number, not negative"
    return None


def _unknown(item: Any) -> str:
    return f"sku {item.get('sku') if isinstance(item, dict) else item} is not in this seller's catalogue"


def _inventory_item(item: Any, ship_node: str | None) -> str | None:
    """Apply one ``inventory`` (v1.4) element; the problem as text, if any."""
    if not isinstance(item, dict) or item.get("sku") not in STORE.inventory:
        return _unknown(item)
    problem = _quantity_problem(item.get("quantity"))
    if problem is None:
        STORE.inventory[item["sku"]] = int(item["quantity"]["amount"])
    return problem


def _multinode_item(item: Any, ship_node: str | None) -> str | None:
    """Apply one ``MP_INVENTORY`` (v1.5) element: the SKU's quantity is the sum over its ship nodes."""
    if not isinstance(item, dict) or item.get("sku") not in STORE.inventory:
        return _unknown(item)
    nodes = item.get("shipNodes")
    if not isinstance(nodes, list) or not nodes:
        return "shipNodes needs at least one ship node"
    for node in nodes:
        if not isinstance(node, dict) or not node.get("shipNode"):
            return "every ship node needs its shipNode id"
        if problem := _quantity_problem(node.get("quantity")):
            return problem
    STORE.inventory[item["sku"]] = sum(int(node["quantity"]["amount"]) for node in nodes)
    return None


def _price_item(item: Any, ship_node: str | None) -> str | None:
    problem = _price_problem(item)
    if problem:
        return problem[1]
    _set_price(item)
    return None


#: feedType → (header key, items key, version, apply one item)
FEED_TYPES: dict[str, tuple[str, str, str, Callable[[Any, str | None], str | None]]] = {
    "inventory": ("InventoryHeader", "Inventory", "1.4", _inventory_item),
    "MP_INVENTORY": ("inventoryHeader", "inventory", "1.5", _multinode_item),
    "price": ("PriceHeader", "Price", "1.7", _price_item),
}


def _feed_file(request: HttpRequest) -> Any:
    upload = request.FILES.get("file")
    if upload is None:
        return None
    try:
        return json.loads(upload.read(), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


@require_http_methods(["GET", "POST"])
@api("feeds")
def feeds(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _feed_list(request)
    feed_type = request.GET.get("feedType", "")
    if feed_type not in FEED_TYPES:
        return gateway_error(
            400,
            "INVALID_REQUEST_PARAM.GMP_FEEDS_API",
            f"feedType must be one of {sorted(FEED_TYPES)}",
            field="feedType",
        )
    header_key, items_key, _, apply = FEED_TYPES[feed_type]
    content = _feed_file(request)
    items = content.get(items_key) if isinstance(content, dict) and header_key in content else None
    if not isinstance(items, list):
        return gateway_error(
            400,
            "INVALID_REQUEST_CONTENT.GMP_FEEDS_API",
            f"the multipart part 'file' must be a JSON {feed_type} feed: {{{header_key}, {items_key}: [...]}}",
            field="file",
        )
    if len(items) > MAX_FEED_ITEMS:
        return gateway_error(413, "REQUEST_ENTITY_TOO_LARGE.GMP_FEEDS_API", f"at most {MAX_FEED_ITEMS} items per feed")
    feed_id = f"{secrets.token_hex(16).upper()}@AQMBAQA"
    with STORE.lock:
        details = []
        for index, item in enumerate(items):
            problem = apply(item, request.GET.get("shipNode"))
            status: dict[str, Any] = {
                "martId": 0,
                "sku": str(item.get("sku", "")) if isinstance(item, dict) else "",
                "index": index,
                "ingestionStatus": "DATA_ERROR" if problem else "SUCCESS",
            }
            if problem:
                status["ingestionErrors"] = {
                    "ingestionError": [{"type": "DATA_ERROR", "code": "ERR_EXT_DATA_0801001", "description": problem}]
                }
            details.append(status)
        failed = sum(1 for d in details if d["ingestionStatus"] != "SUCCESS")
        STORE.feeds[feed_id] = {
            "feedId": feed_id,
            "feedType": feed_type,
            "feedDate": _now_ms(),
            "_ready_at": time.time() + STORE.feed_processing_ms / 1000,
            "itemsReceived": len(items),
            "itemsSucceeded": len(items) - failed,
            "itemsFailed": failed,
            "_details": details,
        }
    return json_response({"feedId": feed_id})


def _status(feed: dict[str, Any]) -> str:
    return "PROCESSED" if time.time() >= feed["_ready_at"] else "RECEIVED"


def _counts(feed: dict[str, Any]) -> dict[str, Any]:
    processed = _status(feed) == "PROCESSED"
    return {
        "feedId": feed["feedId"],
        "feedStatus": _status(feed),
        "itemsReceived": feed["itemsReceived"],
        "itemsSucceeded": feed["itemsSucceeded"] if processed else 0,
        "itemsFailed": feed["itemsFailed"] if processed else 0,
        "itemsProcessing": 0 if processed else feed["itemsReceived"],
    }


def _feed_list(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("feedId")
    with STORE.lock:
        found = [f for f in STORE.feeds.values() if not wanted or f["feedId"] == wanted]
        records = [{**_counts(f), "feedType": f["feedType"], "feedDate": f["feedDate"]} for f in found]
    return json_response({"totalResults": len(records), "offset": 0, "limit": 50, "results": {"feed": records}})


@require_http_methods(["GET"])
@api("feeds")
def feed(request: HttpRequest, feed_id: str) -> HttpResponse:
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
        limit = min(50, max(1, int(request.GET.get("limit", "50"))))
    except ValueError:
        return gateway_error(400, "INVALID_REQUEST_PARAM.GMP_FEEDS_API", "offset and limit are whole numbers")
    with STORE.lock:
        found = STORE.feeds.get(feed_id)
        if found is None:
            return gateway_error(404, "CONTENT_NOT_FOUND.GMP_FEEDS_API", f"feed {feed_id} not found", field="feedId")
        body: dict[str, Any] = {**_counts(found), "offset": offset, "limit": limit}
        if request.GET.get("includeDetails") == "true" and body["feedStatus"] == "PROCESSED":
            body["itemDetails"] = {"itemIngestionStatus": found["_details"][offset : offset + limit]}
    return json_response(body)
