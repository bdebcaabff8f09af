"""The Walmart sandbox's endpoints (paths as in Walmart's OpenAPI documents)."""

from __future__ import annotations

import copy
import secrets
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from connectors.walmart.sandbox.http import api, body_json, gateway_error, json_response
from connectors.walmart.sandbox.store import STORE, TOKEN_SECONDS

#: Line statuses and where each may go next.
TRANSITIONS = {
    "Created": {"Acknowledged", "Cancelled", "Shipped"},
    "Acknowledged": {"Shipped", "Cancelled"},
    "Shipped": {"Delivered"},
}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _public(order: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in order.items() if not key.startswith("_")}


def _modified(order: dict[str, Any]) -> int:
    return int(order.get("_modified", order["orderDate"]))


def _parse_time(value: str) -> int:
    """``yyyy-MM-dd`` or ISO 8601 (or epoch ms) → epoch ms."""
    if value.isdigit():
        return int(value)
    text = value.replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text) if "T" in text else datetime.fromisoformat(text + "T00:00:00+00:00")
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)


@require_http_methods(["POST"])
@api("token", token=False)
def token(request: HttpRequest) -> HttpResponse:
    if request.POST.get("grant_type") != "client_credentials":
        return gateway_error(
            400, "INVALID_REQUEST_PARAM.GMP_GATEWAY_API", "grant_type must be client_credentials", field="grant_type"
        )
    access = "sbx." + secrets.token_urlsafe(32)
    with STORE.lock:
        STORE.tokens[access] = time.time() + TOKEN_SECONDS
    return json_response({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_SECONDS})


def _matches(order: dict[str, Any], query: Any) -> bool:
    lines = order["orderLines"]["orderLine"]
    if query.get("purchaseOrderId") and order["purchaseOrderId"] != query["purchaseOrderId"]:
        return False
    if query.get("customerOrderId") and order["customerOrderId"] != query["customerOrderId"]:
        return False
    if query.get("sku") and not any(line["item"]["sku"] == query["sku"] for line in lines):
        return False
    if query.get("status") and not any(
        s["status"] == query["status"] for line in lines for s in line["orderLineStatuses"]["orderLineStatus"]
    ):
        return False
    for name, key, compare in (
        ("createdStartDate", "orderDate", lambda v, b: v >= b),
        ("createdEndDate", "orderDate", lambda v, b: v <= b),
        ("lastModifiedStartDate", "_modified", lambda v, b: v >= b),
        ("lastModifiedEndDate", "_modified", lambda v, b: v <= b),
    ):
        if query.get(name):
            value = _modified(order) if key == "_modified" else int(order[key])
            if not compare(value, _parse_time(query[name])):
                return False
    return True


@require_http_methods(["GET"])
@api("orders.read")
def orders(request: HttpRequest) -> HttpResponse:
    """Pages by position key: ``soIndex``/``poIndex`` name the last order of the previous page
    (its change time and id), so orders changing during a walk never shift others out of it."""
    query = request.GET
    try:
        limit = min(200, max(1, int(query.get("limit", "100"))))
        after = (int(query["soIndex"]), query.get("poIndex", "")) if query.get("hasMoreElements") == "true" else None
        for name in ("createdStartDate", "createdEndDate", "lastModifiedStartDate", "lastModifiedEndDate"):
            if query.get(name):
                _parse_time(query[name])
    except (ValueError, KeyError) as exc:
        return gateway_error(400, "INVALID_REQUEST_PARAM.GMP_ORDER_API", f"invalid parameter: {exc}")
    with STORE.lock:
        found = sorted(
            (o for o in STORE.orders.values() if _matches(o, query)), key=lambda o: (_modified(o), o["purchaseOrderId"])
        )
        remaining = [o for o in found if after is None or (_modified(o), o["purchaseOrderId"]) > after]
        page = remaining[:limit]
        meta: dict[str, Any] = {"totalCount": len(found), "limit": limit}
        if len(remaining) > limit:
            last = page[-1]
            carried = {
                k: v
                for k, v in query.items()
                if k not in {"limit", "hasMoreElements", "soIndex", "poIndex", "partnerId", "sellerId"}
            }
            cursor = {
                "limit": limit,
                "hasMoreElements": "true",
                "soIndex": _modified(last),
                "poIndex": last["purchaseOrderId"],
                "partnerId": "100009",
                "sellerId": "8",
                **carried,
            }
            meta["nextCursor"] = "?" + urlencode(cursor)
        body = [copy.deepcopy(_public(o)) for o in page]
    return json_response({"list": {"meta": meta, "elements": {"order": body}}})


def _order_or_404(purchase_order_id: str) -> dict[str, Any] | HttpResponse:
    order = STORE.orders.get(purchase_order_id)
    if order is None:
        return gateway_error(
            404,
            "CONTENT_NOT_FOUND.GMP_ORDER_API",
            f"purchase order {purchase_order_id} not found",
            field="purchaseOrderId",
        )
    return order


@require_http_methods(["GET"])
@api("orders.read")
def order(request: HttpRequest, purchase_order_id: str) -> HttpResponse:
    with STORE.lock:
        found = _order_or_404(purchase_order_id)
        if isinstance(found, HttpResponse):
            return found
        return json_response({"order": _public(copy.deepcopy(found))})


def _set_status(line: dict[str, Any], status: str, extra: dict[str, Any] | None = None) -> str | None:
    """Move a line to ``status``; the problem as text when the transition is not allowed."""
    current = line["orderLineStatuses"]["orderLineStatus"][-1]["status"]
    if current == status:
        return None  # repeating an update is harmless, as on Walmart
    if status not in TRANSITIONS.get(current, set()):
        return f"line {line['lineNumber']} is {current} and cannot become {status}"
    entry = {
        "status": status,
        "statusQuantity": line["orderLineQuantity"]
        and {"unitOfMeasurement": "EACH", "amount": line["orderLineQuantity"]["amount"]},
    }
    entry.update(extra or {})
    line["orderLineStatuses"]["orderLineStatus"] = [entry]
    line["statusDate"] = _now_ms()
    return None


def _update_lines(purchase_order_id: str, requested: dict[str, dict[str, Any]] | None, status: str) -> HttpResponse:
    with STORE.lock:
        found = _order_or_404(purchase_order_id)
        if isinstance(found, HttpResponse):
            return found
        lines = {line["lineNumber"]: line for line in found["orderLines"]["orderLine"]}
        targets = requested if requested is not None else {number: {} for number in lines}
        unknown = sorted(set(targets) - set(lines))
        if unknown:
            return gateway_error(
                400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", f"unknown line numbers {unknown}", field="lineNumber"
            )
        updated = copy.deepcopy(found)
        updated_lines = {line["lineNumber"]: line for line in updated["orderLines"]["orderLine"]}
        for number, extra in targets.items():
            problem = _set_status(updated_lines[number], status, extra)
            if problem:
                return gateway_error(400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", problem, field="orderLineStatus")
        updated["_modified"] = _now_ms()
        STORE.orders[purchase_order_id] = updated
        return json_response({"order": _public(copy.deepcopy(updated))})


@require_http_methods(["POST"])
@api("orders.write")
def acknowledge(request: HttpRequest, purchase_order_id: str) -> HttpResponse:
    with STORE.lock:
        found = _order_or_404(purchase_order_id)
        if isinstance(found, HttpResponse):
            return found
        open_lines: dict[str, dict[str, Any]] = {
            line["lineNumber"]: {}
            for line in found["orderLines"]["orderLine"]
            if line["orderLineStatuses"]["orderLineStatus"][-1]["status"] in {"Created", "Acknowledged"}
        }
    return _update_lines(purchase_order_id, open_lines, "Acknowledged")


def _lines_of(body: Any, wrapper: str) -> list[dict[str, Any]] | None:
    try:
        return list(body[wrapper]["orderLines"]["orderLine"])
    except (KeyError, TypeError):
        return None


@require_http_methods(["POST"])
@api("orders.write")
def ship(request: HttpRequest, purchase_order_id: str) -> HttpResponse:
    lines = _lines_of(body_json(request), "orderShipment")
    if lines is None:
        return gateway_error(
            400,
            "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
            "body must be {orderShipment: {orderLines: {orderLine: [...]}}}",
        )
    requested = {}
    for line in lines:
        status = line["orderLineStatuses"]["orderLineStatus"][0]
        if not status.get("trackingInfo", {}).get("trackingNumber"):
            return gateway_error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                f"line {line['lineNumber']} has no tracking number",
                field="trackingNumber",
            )
        requested[str(line["lineNumber"])] = {"trackingInfo": status["trackingInfo"]}
    return _update_lines(purchase_order_id, requested, "Shipped")


@require_http_methods(["POST"])
@api("orders.write")
def cancel(request: HttpRequest, purchase_order_id: str) -> HttpResponse:
    lines = _lines_of(body_json(request), "orderCancellation")
    if lines is None:
        return gateway_error(
            400,
            "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
            "body must be {orderCancellation: {orderLines: {orderLine: [...]}}}",
        )
    requested = {
        str(line["lineNumber"]): {
            "cancellationReason": line["orderLineStatuses"]["orderLineStatus"][0].get("cancellationReason")
        }
        for line in lines
    }
    return _update_lines(purchase_order_id, requested, "Cancelled")


@require_http_methods(["POST"])
@api("orders.write")
def refund(request: HttpRequest, purchase_order_id: str) -> HttpResponse:
    body = body_json(request)
    lines = _lines_of(body, "orderRefund")
    if lines is None:
        return gateway_error(
            400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", "body must be {orderRefund: {orderLines: {orderLine: [...]}}}"
        )
    with STORE.lock:
        found = _order_or_404(purchase_order_id)
        if isinstance(found, HttpResponse):
            return found
        updated = copy.deepcopy(found)
        by_number = {line["lineNumber"]: line for line in updated["orderLines"]["orderLine"]}
        for line in lines:
            target = by_number.get(str(line["lineNumber"]))
            if target is None:
                return gateway_error(
                    400,
                    "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                    f"unknown line {line['lineNumber']}",
                    field="lineNumber",
                )
            refund_entry = line["refunds"]["refund"][0]
            for charge in refund_entry["refundCharges"]["refundCharge"]:
                if Decimal(str(charge["charge"]["chargeAmount"]["amount"])) >= 0:
                    return gateway_error(
                        400,
                        "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                        "refund amounts are negative",
                        field="chargeAmount",
                    )
            target["refund"] = {
                "refundId": f"R{secrets.randbelow(10**9)}",
                "refundComments": refund_entry.get("refundComments", ""),
                "refundCharges": refund_entry["refundCharges"],
            }
        updated["_modified"] = _now_ms()
        STORE.orders[purchase_order_id] = updated
        return json_response({"order": _public(copy.deepcopy(updated))})


@require_http_methods(["GET", "PUT"])
@api("inventory")
def inventory(request: HttpRequest) -> HttpResponse:
    sku = request.GET.get("sku")
    if not sku:
        return gateway_error(400, "INVALID_REQUEST_PARAM.GMP_INVENTORY_API", "sku is required", field="sku")
    with STORE.lock:
        if request.method == "PUT":
            body = body_json(request)
            try:
                amount = int(body["quantity"]["amount"])
            except (KeyError, TypeError, ValueError):
                return gateway_error(
                    400,
                    "INVALID_REQUEST_CONTENT.GMP_INVENTORY_API",
                    "quantity.amount must be a whole number",
                    field="quantity",
                )
            if amount < 0:
                return gateway_error(
                    400, "INVALID_REQUEST_CONTENT.GMP_INVENTORY_API", "quantity cannot be negative", field="quantity"
                )
            STORE.inventory[sku] = amount
        if sku not in STORE.inventory:
            return gateway_error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API", f"sku {sku} not found", field="sku")
        return json_response({"sku": sku, "quantity": {"unit": "EACH", "amount": STORE.inventory[sku]}})
