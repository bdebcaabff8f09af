"""``/sandbox/walmart/_control/``: seed, reset, faults, limits and counters (no auth: a test tool)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.walmart.sandbox.http import body_json, json_response
from connectors.walmart.sandbox.returns import add_returns, seed_returns
from connectors.walmart.sandbox.seed import CATALOGUE, seed_orders
from connectors.walmart.sandbox.store import STORE, Faults
from connectors.walmart.sandbox.views import _update_lines


def add_orders(orders: list[dict[str, Any]]) -> None:
    now = int(time.time() * 1000)
    with STORE.lock:
        for order in orders:
            order.setdefault("_modified", now)
            STORE.orders[order["purchaseOrderId"]] = order
        for sku, _, _ in CATALOGUE:
            STORE.inventory.setdefault(sku, 100)


def ship_orders(purchase_order_ids: list[str], carrier: str = "UPS") -> int:
    """Ship every open line of these orders as the seller's warehouse would (Walmart charges the
    buyer then); returns how many orders changed. A test and seeding tool, like the rest here."""
    shipped = 0
    for purchase_order_id in purchase_order_ids:
        order = STORE.orders.get(purchase_order_id)
        if order is None:
            continue
        tracking = {"carrierName": {"carrier": carrier}, "trackingNumber": f"1Z{purchase_order_id}"}
        lines = {
            line["lineNumber"]: {"trackingInfo": tracking}
            for line in order["orderLines"]["orderLine"]
            if line["orderLineStatuses"]["orderLineStatus"][-1]["status"] in {"Created", "Acknowledged"}
        }
        if lines and _update_lines(purchase_order_id, lines, "Shipped").status_code == 200:
            shipped += 1
    return shipped


def _body(request: HttpRequest) -> dict[str, Any]:
    body = body_json(request)
    return body if isinstance(body, dict) else {}


def seed_store(count: int, seed: int = 1, returns_share: float = 0.15) -> dict[str, int]:
    """Add ``count`` realistic orders (and returns for about ``returns_share`` of them); the totals."""
    orders = seed_orders(count, seed=seed, start=len(STORE.orders))
    add_orders(orders)
    add_returns(seed_returns(orders, share=returns_share, seed=seed))
    with STORE.lock:
        return {"orders": len(STORE.orders), "returns": len(STORE.returns)}


@csrf_exempt
@require_http_methods(["POST"])
def seed(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    try:
        count, number = int(body.get("orders", 10)), int(body.get("seed", 1))
        share = float(body.get("returns_share", 0.15))
    except (TypeError, ValueError):
        return json_response({"detail": "orders and seed are whole numbers, returns_share a fraction"}, 400)
    if not 0 <= count <= 100_000 or not 0 <= share <= 1:
        return json_response({"detail": "orders must be 0 to 100000 and returns_share 0 to 1"}, 400)
    return json_response(seed_store(count, number, share))


@csrf_exempt
@require_http_methods(["POST"])
def create_order(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    if "purchaseOrderId" not in body:
        return json_response({"detail": "an order needs a purchaseOrderId"}, 400)
    add_orders([body])
    return json_response({"purchaseOrderId": body["purchaseOrderId"]}, 201)


@csrf_exempt
@require_http_methods(["POST"])
def reset(request: HttpRequest) -> HttpResponse:
    STORE.reset()
    return json_response({"reset": True})


@csrf_exempt
@require_http_methods(["POST"])
def faults(request: HttpRequest) -> HttpResponse:
    known = {f.name for f in dataclasses.fields(Faults)}
    body = _body(request)
    unknown = sorted(set(body) - known - {"feed_processing_ms"})
    if unknown:
        return json_response({"detail": f"unknown faults {unknown}; known: {sorted(known)}"}, 400)
    if "feed_processing_ms" in body:
        STORE.feed_processing_ms = int(body.pop("feed_processing_ms"))
    with STORE.lock:
        STORE.faults = dataclasses.replace(STORE.faults, **body)
    return json_response({**dataclasses.asdict(STORE.faults), "feed_processing_ms": STORE.feed_processing_ms})


@csrf_exempt
@require_http_methods(["POST"])
def limits(request: HttpRequest) -> HttpResponse:
    with STORE.lock:
        STORE.limits.update({str(k): int(v) for k, v in _body(request).items()})
        STORE.buckets.clear()
    return json_response(STORE.limits)


@require_http_methods(["GET"])
def stats(request: HttpRequest) -> HttpResponse:
    with STORE.lock:
        return json_response(
            {
                "calls": dict(STORE.calls),
                "violations": STORE.violations,
                "orders": len(STORE.orders),
                "returns": len(STORE.returns),
                "feeds": len(STORE.feeds),
                "limits": STORE.limits,
            }
        )


def seed_demo() -> None:
    """Orders for the embedded demo (``manage.py serve`` calls this when the sandbox is empty)."""
    if not STORE.orders:
        seed_store(20, seed=2026)
