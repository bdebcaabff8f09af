"""The Walmart → Xero template through the engine, against both sandboxes: exactly once, to the cent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import CLIENT_ID as WALMART_ID
from connectors.walmart.sandbox.store import CLIENT_SECRET as WALMART_SECRET
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import CLIENT_ID as XERO_ID
from connectors.xero.sandbox.store import CLIENT_SECRET as XERO_SECRET
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Limits
from engine import scheduler
from engine.core.states import RunStatus
from engine.models import Run
from tests.connectors.xero.conftest import authorise
from tests.fixtures.engine import InlineEngine

TEMPLATE = settings.BASE_DIR / "fixtures" / "templates" / "walmart-order-to-xero-invoice.json"


@pytest.fixture(autouse=True)
def keep_underscore_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    from wsgiref import simple_server

    from django.core.servers import basehttp

    monkeypatch.setattr(basehttp.WSGIRequestHandler, "get_environ", simple_server.WSGIRequestHandler.get_environ)


@pytest.fixture
def sandboxes(live_server: Any) -> Iterator[str]:
    WALMART.reset()
    XERO.reset()
    yield live_server.url
    WALMART.reset()
    XERO.reset()


def expected_total(order: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(c["chargeAmount"]["amount"])) + Decimal(str(c["tax"]["taxAmount"]["amount"]))
            for line in order["orderLines"]["orderLine"]
            if line["orderLineStatuses"]["orderLineStatus"][-1]["status"] != "Cancelled"
            for c in line["charges"]["charge"]
        ),
        Decimal(0),
    )


def test_orders_become_invoices_once_with_totals_to_the_cent(
    sandboxes: str, engine_inline: InlineEngine, make_workflow: Any, org: Any
) -> None:
    walmart = Connection(organization=org, kind="walmart", name="Walmart", base_url=f"{sandboxes}/sandbox/walmart")
    walmart.set_secrets({"client_id": WALMART_ID, "client_secret": WALMART_SECRET})
    walmart.save()
    # Limits scaled up (both sides alike) so the test does not wait minutes for Xero's 60 calls a minute.
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
    xero.refresh_from_db()
    assert xero.settings["rate_limits"] == {"minute": 6000}

    orders = seed_orders(40, seed=11)
    add_orders(orders)
    document = json.loads(TEMPLATE.read_text())["document"]
    for spec in document["nodes"]:
        if "connection" in spec["config"]:
            spec["config"]["connection"] = "Walmart" if spec["type"].startswith("walmart.") else "Xero"
    workflow = make_workflow(document, name="Walmart to Xero")

    for _ in range(3):  # overlapping polls change nothing
        scheduler.tick()
        engine_inline.drive_all()

    runs = Run.objects.filter(workflow=workflow, parent__isnull=True)
    new_orders = [
        o
        for o in orders
        if any(
            line["orderLineStatuses"]["orderLineStatus"][-1]["status"] == "Created"
            for line in o["orderLines"]["orderLine"]
        )
    ]
    assert runs.count() == len(new_orders)
    assert {r.status for r in runs} <= {RunStatus.SUCCEEDED, RunStatus.FAILED}, {
        (r.status, str(r.error)[:200]) for r in runs if r.status not in ("succeeded", "failed")
    }
    invoiceable = [o for o in orders if expected_total(o) and "shippingInfo" in o]
    invoices = {i["Reference"]: i for i in XERO.books.invoices.values()}
    assert len(invoices) == len(invoiceable)
    for order in invoiceable:
        invoice = invoices[order["purchaseOrderId"]]
        assert Decimal(invoice["Total"]) == expected_total(order), order["purchaseOrderId"]
        assert invoice["InvoiceNumber"] == f"WM-{order['purchaseOrderId']}"
    buyers = {o["customerEmailId"] for o in invoiceable}
    assert len(XERO.books.contacts) == len(buyers)
    no_address = [o["purchaseOrderId"] for o in orders if "shippingInfo" not in o and expected_total(o)]
    failed = runs.filter(status=RunStatus.FAILED)
    assert sorted(r.input["purchaseOrderId"] for r in failed) == sorted(no_address)
    for run in failed:
        assert run.error["node_id"] == "contact" and run.error["field"] == "input"
    acknowledged = [
        o
        for o in WALMART.orders.values()
        if any(
            line["orderLineStatuses"]["orderLineStatus"][-1]["status"] == "Acknowledged"
            for line in o["orderLines"]["orderLine"]
        )
    ]
    assert len(acknowledged) == len(invoiceable)
    assert XERO.violations == 0
