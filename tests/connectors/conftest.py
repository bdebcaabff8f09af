"""Both sandboxes on the live test server, connections to them, and the shipped template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.walmart.sandbox.seed import CATALOGUE
from connectors.walmart.sandbox.store import CLIENT_ID as WALMART_ID
from connectors.walmart.sandbox.store import CLIENT_SECRET as WALMART_SECRET
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import CLIENT_ID as XERO_ID
from connectors.xero.sandbox.store import CLIENT_SECRET as XERO_SECRET
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Limits
from designer.fixtures_loader import fixtures_dir, load_rule_fixtures
from tests.connectors.xero.conftest import authorise

TEMPLATE = settings.BASE_DIR / "fixtures" / "templates" / "walmart-order-to-xero-invoice.json"


@pytest.fixture
def keep_underscore_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Walmart's headers have underscores (WM_SEC.ACCESS_TOKEN). Django's development
    server drops such headers; ASGI servers (daphne, what ``serve`` runs) keep them."""
    from wsgiref import simple_server

    from django.core.servers import basehttp

    monkeypatch.setattr(basehttp.WSGIRequestHandler, "get_environ", simple_server.WSGIRequestHandler.get_environ)


@pytest.fixture
def sandboxes(live_server: Any, keep_underscore_headers: None) -> Iterator[str]:
    WALMART.reset()
    XERO.reset()
    yield live_server.url
    WALMART.reset()
    XERO.reset()


@pytest.fixture
def connections(sandboxes: str, org: Any) -> tuple[Connection, Connection]:
    """A Walmart and an authorised Xero connection on the sandboxes (limits scaled up on both sides alike)."""
    walmart = Connection(organization=org, kind="walmart", name="Walmart", base_url=f"{sandboxes}/sandbox/walmart")
    walmart.set_secrets({"client_id": WALMART_ID, "client_secret": WALMART_SECRET})
    walmart.save()
    XERO.limits = Limits(per_minute=6000)
    xero = Connection(
        organization=org,
        kind="xero",
        name="Xero",
        base_url=f"{sandboxes}/sandbox/xero",
        settings={"rate_limits": {"minute": 6000}},
    )
    xero.set_secrets({"client_id": XERO_ID, "client_secret": XERO_SECRET})
    xero.save()
    authorise(StoredConnection(xero))
    return walmart, xero


@pytest.fixture
def template_workflow(make_workflow: Any, org: Any) -> Any:
    """``template_workflow()``: the shipped Walmart → Xero template, wired to the test connections,
    with the mapping tables it names and a week of USD→CAD/MXN rates loaded as ``make run`` loads them."""

    def make() -> Any:
        load_rule_fixtures(organization=org, folder=fixtures_dir() / "rules", demo_rates=True)
        document = json.loads(TEMPLATE.read_text())["document"]
        for spec in document["nodes"]:
            if "connection" in spec["config"]:
                spec["config"]["connection"] = "Walmart" if spec["type"].startswith("walmart.") else "Xero"
        return make_workflow(document, name="Walmart to Xero")

    return make


def line_status(line: dict[str, Any]) -> str:
    return str(line["orderLineStatuses"]["orderLineStatus"][-1]["status"])


def expected_total(order: dict[str, Any]) -> Decimal:
    """What the Xero invoice must total: every open line's charges and taxes."""
    return sum(
        (
            Decimal(str(charge["chargeAmount"]["amount"])) + Decimal(str(charge["tax"]["taxAmount"]["amount"]))
            for line in order["orderLines"]["orderLine"]
            if line_status(line) != "Cancelled"
            for charge in line["charges"]["charge"]
        ),
        Decimal(0),
    )


KNOWN_SKUS = {sku for sku, _, _ in CATALOGUE}


def open_lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in order["orderLines"]["orderLine"] if line_status(line) != "Cancelled"]


def has_unknown_sku(order: dict[str, Any]) -> bool:
    """The template holds such orders for review (the SKU mapping table has no entry)."""
    return any(line["item"]["sku"] not in KNOWN_SKUS for line in open_lines(order))


def invoiceable(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders the template turns into invoices: something to charge, an address, every SKU mapped."""
    return [o for o in orders if expected_total(o) and "shippingInfo" in o and not has_unknown_sku(o)]
