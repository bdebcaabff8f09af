"""``/sandbox/walmart/_control/``: seed, reset, faults, limits and counters (no auth: a test tool)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.walmart.sandbox.http import body_json, json_response
from connectors.walmart.sandbox.seed import CATALOGUE, seed_orders
from connectors.walmart.sandbox.store import STORE, Faults


def add_orders(orders: list[dict[str, Any]]) -> None:
    now = int(time.time() * 1000)
    with STORE.lock:
        for order in orders:
            order.setdefault("_modified", now)
            STORE.orders[order["purchaseOrderId"]] = order
        for sku, _, _ in CATALOGUE:
            STORE.inventory.setdefault(sku, 100)


def _body(request: HttpRequest) -> dict[str, Any]:
    body = body_json(request)
    return body if isinstance(body, dict) else {}


@csrf_exempt
@require_http_methods(["POST"])
def seed(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    count = int(body.get("orders", 10))
    start = len(STORE.orders)
    add_orders(seed_orders(count, seed=int(body.get("seed", 1)), start=start))
    return json_response({"orders": len(STORE.orders)})


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
    unknown = sorted(set(body) - known)
    if unknown:
        return json_response({"detail": f"unknown faults {unknown}; known: {sorted(known)}"}, 400)
    with STORE.lock:
        STORE.faults = dataclasses.replace(STORE.faults, **body)
    return json_response(dataclasses.asdict(STORE.faults))


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
                "limits": STORE.limits,
            }
        )


def seed_demo() -> None:
    """Orders for the embedded demo (``manage.py serve`` calls this when the sandbox is empty)."""
    if not STORE.orders:
        add_orders(seed_orders(20, seed=2026))
