"""The Walmart → Xero template through the engine, against both sandboxes: exactly once, to the cent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO
from engine import scheduler
from engine.core.states import RunStatus
from engine.models import Run
from tests.connectors.conftest import expected_total, has_unknown_sku, invoiceable, line_status
from tests.fixtures.engine import InlineEngine


def test_orders_become_invoices_once_with_totals_to_the_cent(
    connections: Any, engine_inline: InlineEngine, template_workflow: Any
) -> None:
    orders = seed_orders(40, seed=11)
    add_orders(orders)
    workflow = template_workflow()
    for _ in range(3):  # overlapping polls change nothing
        scheduler.tick()
        engine_inline.drive_all()

    runs = Run.objects.filter(workflow=workflow, parent__isnull=True)
    new_orders = [o for o in orders if any(line_status(line) == "Created" for line in o["orderLines"]["orderLine"])]
    assert runs.count() == len(new_orders)
    assert {r.status for r in runs} <= {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.REVIEW}
    invoiced = invoiceable(orders)
    invoices = {i["Reference"]: i for i in XERO.books.invoices.values()}
    assert len(invoices) == len(invoiced)
    for order in invoiced:
        invoice = invoices[order["purchaseOrderId"]]
        assert Decimal(invoice["Total"]) == expected_total(order), order["purchaseOrderId"]
        assert invoice["InvoiceNumber"] == f"WM-{order['purchaseOrderId']}"
    assert len(XERO.books.contacts) == len({o["customerEmailId"] for o in invoiced})
    no_address = sorted(o["purchaseOrderId"] for o in orders if "shippingInfo" not in o and expected_total(o))
    failed = runs.filter(status=RunStatus.FAILED)
    assert sorted(r.input["purchaseOrderId"] for r in failed) == no_address
    for run in failed:
        assert run.error["node_id"] == "checks" and run.error["code"] == "walmart.no_shipping_info"
    unmapped = sorted(
        o["purchaseOrderId"] for o in orders if "shippingInfo" in o and expected_total(o) and has_unknown_sku(o)
    )
    held = runs.filter(status=RunStatus.REVIEW)
    assert sorted(r.input["purchaseOrderId"] for r in held) == unmapped
    assert {r.error["code"] for r in held} <= {"rules.mapping_missing"}
    acknowledged = [
        o
        for o in WALMART.orders.values()
        if any(line_status(line) == "Acknowledged" for line in o["orderLines"]["orderLine"])
    ]
    assert len(acknowledged) == len(invoiced)
    assert XERO.violations == 0
