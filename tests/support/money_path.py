"""The shipped templates wired to test connections, and varied sandbox orders for them."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

from django.conf import settings

TEMPLATES = settings.BASE_DIR / "fixtures" / "templates"
FIRST = ["Kathryn", "Steffen", "Ana", "Ben", "Chloe", "Dev", "Emma", "Farid"]
LAST = ["Cole", "Matt", "Ruiz", "Okafor", "Park", "Shah"]
STREETS = {
    "NY": ("Warners", ["13164", "131641234"]),
    "CA": ("San Francisco", ["94133", "94133-0042"]),
    "TX": ("Austin", ["78701", "78701 1100"]),
    "WA": ("Seattle", ["98101"]),
    "IL": ("Chicago", ["60611"]),
}
COUNTRY_SPELLINGS = ["USA", "US", "United States", "united states of america"]


def template_document(key: str, *, walmart: str = "Walmart", xero: str = "Xero") -> dict[str, Any]:
    """A shipped template's document with its connection fields set to the named connections."""
    document: dict[str, Any] = json.loads((TEMPLATES / f"{key}.json").read_text())["document"]
    for spec in document["nodes"]:
        if "connection" in spec["config"]:
            spec["config"]["connection"] = walmart if spec["type"].startswith("walmart.") else xero
    return document


def buyers_by_state() -> dict[str, list[dict[str, str]]]:
    """Six buyers per state, each with a stable email and address."""
    found: dict[str, list[dict[str, str]]] = {}
    for index, (state, (city, postcodes)) in enumerate(sorted(STREETS.items())):
        for number in range(6):
            name = f"{FIRST[(index + number) % len(FIRST)]} {LAST[(index * 2 + number) % len(LAST)]}"
            found.setdefault(state, []).append(
                {
                    "name": name,
                    "email": f"{name.replace(' ', '.').lower()}.{state.lower()}@relay.walmart.com",
                    "address1": f"{100 + number * 7} Main St",
                    "city": city,
                    "postcode": postcodes[0],
                    "state": state,
                }
            )
    return found


def vary_buyers(orders: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Spread the orders over 30 buyers (same state, so Walmart's tax stays right), spelled inconsistently:
    the email's case, the country's name, the postcode's format."""
    rng = random.Random(seed)
    pool = buyers_by_state()
    varied = []
    for order in orders:
        order = copy.deepcopy(order)
        address = (order.get("shippingInfo") or {}).get("postalAddress")
        state = address["state"] if address else rng.choice(sorted(pool))
        buyer = rng.choice(pool[state])
        email = buyer["email"]
        order["customerEmailId"] = email.upper() if rng.random() < 0.2 else email
        if address:
            postcodes = STREETS[state][1]
            address.update(
                name=buyer["name"],
                address1=buyer["address1"],
                city=buyer["city"],
                postalCode=rng.choice(postcodes),
                country=rng.choice(COUNTRY_SPELLINGS),
            )
        varied.append(order)
    return varied


def order_day(order: dict[str, Any]) -> dt.date:
    return dt.datetime.fromtimestamp(int(order["orderDate"]) / 1000, tz=dt.UTC).date()


def money(value: Any) -> Decimal:
    return Decimal(str(value))
