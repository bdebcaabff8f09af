"""The Walmart sandbox's returns: ``GET /v3/returns`` (filters, offset cursor) and seeded returns.

Return orders have the shape of the example in Walmart's ``returns.json``
(money as ``{currencyAmount, currencyUnit}``, times as ISO strings).
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from connectors.walmart.sandbox.http import api, gateway_error, json_response
from connectors.walmart.sandbox.store import STORE
from connectors.walmart.sandbox.views import _parse_time as _ms

REASONS = ["ARRIVED_LATE", "DAMAGED_ITEM", "WRONG_ITEM", "CHANGED_MIND", "DEFECTIVE"]
CENT = Decimal("0.01")
#: Filters of ``GET /v3/returns`` carried in ``nextCursor``.
FILTERS = (
    "returnOrderId",
    "customerOrderId",
    "status",
    "returnType",
    "returnCreationStartDate",
    "returnCreationEndDate",
    "returnLastModifiedStartDate",
    "returnLastModifiedEndDate",
)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"currencyAmount": amount.quantize(CENT), "currencyUnit": currency}


def _charges(order_line: dict[str, Any], quantity: int, currency: str) -> tuple[list[dict[str, Any]], Decimal, Decimal]:
    """Per-unit product charges of the returned line, and the line's price and tax for ``quantity``."""
    ordered = int(order_line["orderLineQuantity"]["amount"]) or 1
    charges, price, tax = [], Decimal(0), Decimal(0)
    for charge in order_line["charges"]["charge"]:
        if charge["chargeType"] != "PRODUCT":
            continue
        unit = (Decimal(str(charge["chargeAmount"]["amount"])) / ordered).quantize(CENT)
        unit_tax = (Decimal(str(charge["tax"]["taxAmount"]["amount"])) / ordered).quantize(CENT)
        price, tax = price + unit * quantity, tax + unit_tax * quantity
        charges.append(
            {
                "chargeCategory": "PRODUCT",
                "chargeName": charge["chargeName"],
                "chargePerUnit": _money(unit, currency),
                "isDiscount": unit < 0,
                "isBillable": True,
                "tax": [
                    {
                        "taxName": "Tax1",
                        "taxPerUnit": _money(unit_tax, currency),
                        "excessTax": _money(Decimal(0), currency),
                    }
                ],
                "excessCharge": _money(Decimal(0), currency),
            }
        )
    return charges, price, tax


def make_return(rng: random.Random, order: dict[str, Any], number: int, now_ms: int) -> dict[str, Any] | None:
    """A return of one line of ``order`` (refund or replacement), or None if nothing is returnable."""
    lines = [
        line
        for line in order["orderLines"]["orderLine"]
        if line["orderLineStatuses"]["orderLineStatus"][-1]["status"] != "Cancelled"
    ]
    if not lines:
        return None
    line = rng.choice(lines)
    currency = str(line["charges"]["charge"][0]["chargeAmount"]["currency"])
    quantity = rng.randint(1, int(line["orderLineQuantity"]["amount"]))
    charges, price, tax = _charges(line, quantity, currency)
    created = now_ms - rng.randint(0, 3_600_000)
    completed = rng.random() < 0.5
    status = "COMPLETED" if completed else "INITIATED"
    total = price + tax
    return_line = {
        "returnOrderLineNumber": 1,
        "salesOrderLineNumber": int(line["lineNumber"]),
        "returnReason": rng.choice(REASONS),
        "purchaseOrderId": order["purchaseOrderId"],
        "purchaseOrderLineNumber": int(line["lineNumber"]),
        "item": {"sku": line["item"]["sku"], "productName": line["item"]["productName"]},
        "charges": charges,
        "chargeTotals": [
            {"name": "lineSubTotal", "value": _money(price, currency)},
            {"name": "lineTotalTaxes", "value": _money(tax, currency)},
            {"name": "lineTotal", "value": _money(total, currency)},
        ],
        "quantity": {"unitOfMeasure": "EACH", "measurementValue": quantity},
        "refundedQty": quantity if completed else 0,
        "currentDeliveryStatus": "DELIVERED" if completed else "NOT_SHIPPED",
        "currentRefundStatus": "REFUND_COMPLETED" if completed else "REFUND_INITIATED",
        "status": status,
        "statusTime": iso(created),
    }
    return {
        "returnOrderId": str(100_000_000_000_000_000 + number),
        "customerEmailId": order["customerEmailId"],
        "customerName": {"firstName": "Walmart", "lastName": "Customer"},
        "customerOrderId": order["customerOrderId"],
        "refundMode": "POST_DELIVERY",
        "returnOrderDate": iso(created),
        "returnByDate": iso(created + 30 * 86_400_000),
        "returnType": "REFUND",
        "totalRefundAmount": _money(total, currency),
        "returnOrderLines": [return_line],
        "returnChannel": {"channelName": "ONLINE"},
        "_modified": created,
    }


def seed_returns(orders: list[dict[str, Any]], share: float = 0.15, seed: int = 1) -> list[dict[str, Any]]:
    """Returns for about ``share`` of ``orders`` (a separate random stream: the orders stay as they are)."""
    rng = random.Random(seed * 7919 + len(orders))
    now_ms = int(datetime.now(tz=UTC).timestamp() * 1000)
    made: list[dict[str, Any]] = []
    for order in orders:
        if rng.random() < share and (found := make_return(rng, order, len(STORE.returns) + len(made), now_ms)):
            made.append(found)
    return made


def add_returns(returns: list[dict[str, Any]]) -> None:
    with STORE.lock:
        for entry in returns:
            STORE.returns[entry["returnOrderId"]] = entry


def complete_return(return_order_id: str, now_ms: int) -> None:
    """A test tool: the return's refund completes now (its last-modified time moves)."""
    with STORE.lock:
        entry = STORE.returns[return_order_id]
        for line in entry["returnOrderLines"]:
            line.update(
                status="COMPLETED",
                currentRefundStatus="REFUND_COMPLETED",
                refundedQty=line["quantity"]["measurementValue"],
                statusTime=iso(now_ms),
            )
        entry["_modified"] = now_ms


def _matches(entry: dict[str, Any], query: Any) -> bool:
    for name in ("returnOrderId", "customerOrderId", "returnType"):
        if query.get(name) and entry[name] != query[name]:
            return False
    if query.get("status") and not any(line["status"] == query["status"] for line in entry["returnOrderLines"]):
        return False
    created, modified = _ms(entry["returnOrderDate"]), int(entry["_modified"])
    bounds = (
        ("returnCreationStartDate", created, 1),
        ("returnCreationEndDate", created, -1),
        ("returnLastModifiedStartDate", modified, 1),
        ("returnLastModifiedEndDate", modified, -1),
    )
    for name, value, direction in bounds:
        if query.get(name) and (value - _ms(query[name])) * direction < 0:
            return False
    return True


@require_http_methods(["GET"])
@api("returns")
def returns(request: HttpRequest) -> HttpResponse:
    """Ordered by last change then id; ``nextCursor`` is ``?limit=…&offset=…`` plus the filters."""
    query = request.GET
    try:
        limit = min(200, max(1, int(query.get("limit", "10"))))
        offset = max(0, int(query.get("offset", "0")))
        for name in FILTERS[4:]:
            if query.get(name):
                _ms(query[name])
    except ValueError as exc:
        return gateway_error(400, "INVALID_REQUEST_PARAM.GMP_RETURNS_API", f"invalid parameter: {exc}")
    with STORE.lock:
        found = sorted(
            (r for r in STORE.returns.values() if _matches(r, query)),
            key=lambda r: (int(r["_modified"]), r["returnOrderId"]),
        )
        page = [copy.deepcopy(r) for r in found[offset : offset + limit]]
    more = offset + limit < len(found)
    carried = {name: query[name] for name in FILTERS if query.get(name)}
    cursor = "?" + urlencode({"limit": limit, "offset": offset + limit, **carried}) if more else ""
    return json_response(
        {"meta": {"totalCount": len(found), "limit": limit, "nextCursor": cursor}, "returnOrders": page}
    )
