"""Realistic sandbox orders, shaped like the example orders in Walmart's own specification."""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

#: A small catalogue; SKUs outside it are "unknown" to the accounting side's maps.
CATALOGUE = [
    ("MUG-01", "Stoneware Mug 12oz", Decimal("12.50")),
    ("TEE-02", "Organic Cotton T-Shirt", Decimal("19.99")),
    ("BAG-03", "Canvas Tote Bag", Decimal("24.00")),
    ("LAMP-04", "Desk Lamp LED", Decimal("39.95")),
    ("BOTTLE-05", "Insulated Bottle 750ml", Decimal("29.00")),
    ("SOCK-06", "Wool Socks (2 pack)", Decimal("14.49")),
]
BUYERS = [
    ("Kathryn Cole", "3258 Warners Rd", "Warners", "NY", "13164"),
    ("Steffen Matt", "1830 Mason St", "San Francisco", "CA", "94133"),
    ("Ana Ruiz", "77 Elm St", "Austin", "TX", "78701"),
    ("Ben Okafor", "12 Pine Ave", "Seattle", "WA", "98101"),
    ("Chloe Park", "400 Lake Shore Dr", "Chicago", "IL", "60611"),
]
TAX_RATES = {
    "NY": Decimal("0.08875"),
    "CA": Decimal("0.0725"),
    "TX": Decimal("0.0625"),
    "WA": Decimal("0.065"),
    "IL": Decimal("0.0625"),
}
CENT = Decimal("0.01")


def money(currency: str, amount: Decimal) -> dict[str, Any]:
    return {"currency": currency, "amount": amount.quantize(CENT)}


def _charge(kind: str, name: str, currency: str, amount: Decimal, tax: Decimal) -> dict[str, Any]:
    return {
        "chargeType": kind,
        "chargeName": name,
        "chargeAmount": money(currency, amount),
        "tax": {"taxName": "Tax1", "taxAmount": money(currency, tax)},
    }


def make_order(rng: random.Random, number: int, now_ms: int) -> dict[str, Any]:
    """One order: 1 to 4 lines, shipping, sales tax, sometimes a promotion, an unknown SKU or no address."""
    buyer = rng.choice(BUYERS)
    currency = "USD" if rng.random() > 0.08 else rng.choice(["CAD", "MXN"])
    rate = TAX_RATES[buyer[3]]
    lines = []
    for index in range(1, rng.randint(1, 4) + 1):
        sku, name, price = rng.choice(CATALOGUE)
        if rng.random() < 0.04:
            sku, name = f"UNKNOWN-{rng.randint(100, 999)}", "Unlisted item"
        qty = rng.randint(1, 3)
        charges = [_charge("PRODUCT", "ItemPrice", currency, price * qty, (price * qty * rate).quantize(CENT))]
        if index == 1:
            shipping = Decimal(rng.choice(["0.00", "4.99", "7.99"]))
            charges.append(_charge("SHIPPING", "Shipping", currency, shipping, (shipping * rate).quantize(CENT)))
        if rng.random() < 0.15:
            discount = (price * qty * Decimal("0.10")).quantize(CENT)
            charges.append(_charge("PRODUCT", "Discount", currency, -discount, -(discount * rate).quantize(CENT)))
        status = "Created" if rng.random() > 0.05 else "Cancelled"
        lines.append(
            {
                "lineNumber": str(index),
                "item": {"productName": name, "sku": sku},
                "charges": {"charge": charges},
                "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(qty)},
                "statusDate": now_ms,
                "orderLineStatuses": {
                    "orderLineStatus": [
                        {"status": status, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(qty)}}
                    ]
                },
                "fulfillment": {
                    "fulfillmentOption": "S2H",
                    "shipMethod": "STANDARD",
                    "pickUpDateTime": now_ms + 86_400_000,
                },
            }
        )
    order: dict[str, Any] = {
        "purchaseOrderId": str(1_800_000_000_000 + number),
        "customerOrderId": str(5_200_000_000_000 + number),
        "customerEmailId": f"{buyer[0].replace(' ', '').upper()}@relay.walmart.com",
        "orderType": "REGULAR",
        "orderDate": now_ms - rng.randint(0, 3_600_000),
        "orderLines": {"orderLine": lines},
    }
    if rng.random() > 0.03:
        order["shippingInfo"] = {
            "phone": f"{rng.randint(2_000_000_000, 9_999_999_999)}",
            "estimatedDeliveryDate": now_ms + 5 * 86_400_000,
            "estimatedShipDate": now_ms + 86_400_000,
            "methodCode": "Standard",
            "postalAddress": {
                "name": buyer[0], "address1": buyer[1], "city": buyer[2], "state": buyer[3],
                "postalCode": buyer[4], "country": "USA", "addressType": "RESIDENTIAL",
            },
        }  # fmt: skip
    return order


def seed_orders(count: int, seed: int = 1, start: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    return [make_order(rng, start + number, now_ms) for number in range(count)]
