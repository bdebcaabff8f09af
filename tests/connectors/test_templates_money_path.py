"""The money-path templates on 500 varied Walmart orders, through the engine, against both sandboxes.

Orders are invoiced once each (one contact per buyer), invalid ones wait in
review or the dead-letter queue with their reason, shipped orders are paid,
refunds become credit notes, stock flows back, and the reconciliation report
explains every difference: all to the cent, per order and per currency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from connectors.rules.models import CurrencyRate, FinanceAlert
from connectors.sdk.handles import StoredConnection
from connectors.walmart.client import WalmartClient
from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO
from designer.fixtures_loader import fixtures_dir, load_rule_fixtures
from engine import scheduler
from engine.core.states import RunStatus
from engine.models import NodeState, Run, WebhookEndpoint
from engine.webhooks import webhook_secret
from tests.connectors.conftest import KNOWN_SKUS, expected_total, has_unknown_sku, line_status, open_lines
from tests.fixtures.engine import InlineEngine
from tests.support.money_path import money, order_day, template_document, vary_buyers

ORDERS = int(os.environ.get("LEDGERLINE_TEST_ORDERS", "500"))


def _classify(orders: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        if not open_lines(order):
            groups["cancelled"].append(order)
        elif "shippingInfo" not in order:
            groups["no_shipping"].append(order)
        elif has_unknown_sku(order):
            groups["unknown_sku"].append(order)
        else:
            groups["valid"].append(order)
    return groups


def _seed_rates(org: Any, days: set[dt.date]) -> None:
    for day in days | {d - dt.timedelta(days=1) for d in days}:
        for currency, rate in (("CAD", "1.3912"), ("MXN", "17.2045")):
            CurrencyRate.objects.get_or_create(
                organization=org, date=day, from_currency="USD", to_currency=currency,
                defaults={"rate": Decimal(rate), "source": "test"},
            )  # fmt: skip


def _deliver_shipments(workflow: Any, orders: list[dict[str, Any]]) -> None:
    endpoint = WebhookEndpoint.objects.get(workflow=workflow)
    secret = webhook_secret(endpoint).encode()
    client = Client()
    for order in orders:
        body = json.dumps(
            {"shipment_id": f"SH-{order['purchaseOrderId']}", "order_id": order["purchaseOrderId"], "lines": [],
             "carrier": "UPS", "tracking_number": f"1Z{order['purchaseOrderId']}", "tracking_url": ""}
        ).encode()  # fmt: skip
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        for _ in range(2):  # the warehouse repeats a delivery: nothing happens twice
            response = client.post(
                f"/hooks/{endpoint.token}/", body, content_type="application/json",
                headers={"X-Signature-256": signature},
            )  # fmt: skip
            assert response.status_code in (200, 201, 202), response.content


def _refund_charge(reason: str, kind: str, currency: str, amount: Decimal, tax: Decimal) -> dict[str, Any]:
    return {
        "refundReason": reason,
        "charge": {
            "chargeType": kind,
            "chargeName": "Shipping" if kind == "SHIPPING" else "Item Price",
            "chargeAmount": {"currency": currency, "amount": -amount},
            "tax": {"taxName": "Tax1", "taxAmount": {"currency": currency, "amount": -tax}},
        },
    }


def _refund(walmart: WalmartClient, order: dict[str, Any], rng: random.Random) -> Decimal:
    """Refunds half of one open line (sometimes with its shipping); the refunded total, tax included."""
    line = open_lines(order)[0]
    charges = line["charges"]["charge"]
    product = next(c for c in charges if c["chargeType"] == "PRODUCT" and money(c["chargeAmount"]["amount"]) > 0)
    amount = (money(product["chargeAmount"]["amount"]) / 2).quantize(Decimal("0.01"))
    tax = (money(product["tax"]["taxAmount"]["amount"]) / 2).quantize(Decimal("0.01"))
    currency = product["chargeAmount"]["currency"]
    refund = [_refund_charge("DamagedItem", "PRODUCT", currency, amount, tax)]
    shipping = next((c for c in charges if c["chargeType"] == "SHIPPING"), None)
    if shipping is not None and money(shipping["chargeAmount"]["amount"]) > 0 and rng.random() < 0.5:
        s_amount, s_tax = money(shipping["chargeAmount"]["amount"]), money(shipping["tax"]["taxAmount"]["amount"])
        refund.append(_refund_charge("IncorrectShippingPrice", "SHIPPING", currency, s_amount, s_tax))
        amount, tax = amount + s_amount, tax + s_tax
    refunds = {"refund": [{"refundComments": "test", "refundCharges": {"refundCharge": refund}}]}
    lines = [{"lineNumber": line["lineNumber"], "isFullRefund": False, "refunds": refunds}]
    body = {"orderRefund": {"purchaseOrderId": order["purchaseOrderId"], "orderLines": {"orderLine": lines}}}
    walmart.call("POST", f"/v3/orders/{order['purchaseOrderId']}/refund", body=body)
    return amount + tax


def _drive(engine: InlineEngine, *, overlap: bool = False) -> None:
    """Poll until every trigger has walked all its pages, running what each poll started.

    ``overlap``: then poll every trigger once more at once, as an overlapping scheduler would.
    """
    for _ in range(ORDERS // 50 + 10):
        report = scheduler.tick()
        engine.drive_all(max_rounds=40)
        if report.polled == 0:
            break
    if overlap:
        NodeState.objects.update(next_poll_at=None)
        scheduler.tick()
        engine.drive_all(max_rounds=40)


@pytest.mark.timeout(1200)  # 500 orders through the engine: minutes on a loaded 2-core machine
def test_five_hundred_orders_through_the_templates_reconcile_to_the_cent(
    connections: Any, engine_inline: InlineEngine, make_workflow: Any, org: Any, api: Any
) -> None:
    WALMART.limits["orders.write"] = 100_000  # shipments and refunds of hundreds of orders in a minute
    orders = vary_buyers(seed_orders(ORDERS, seed=2026), seed=7)
    add_orders(orders)
    groups = _classify(orders)
    assert all(len(groups[name]) >= (5 if ORDERS >= 500 else 0) for name in ("valid", "no_shipping", "unknown_sku")), {
        k: len(v) for k, v in groups.items()
    }
    assert len(
        {o["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["currency"] for o in orders}
    ) == (
        3
        if ORDERS >= 500
        else len({o["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["currency"] for o in orders})
    )
    load_rule_fixtures(organization=org, folder=fixtures_dir() / "rules", demo_rates=False)
    _seed_rates(org, {order_day(o) for o in orders})
    invoicing = make_workflow(template_document("walmart-order-to-xero-invoice"), name="Invoices")

    # 1. Orders to invoices (overlapping polls change nothing).
    _drive(engine_inline, overlap=True)
    runs = {r.input["purchaseOrderId"]: r for r in Run.objects.filter(workflow=invoicing, parent__isnull=True)}
    invoices = {i["Reference"]: i for i in XERO.books.invoices.values()}
    valid = {o["purchaseOrderId"]: o for o in groups["valid"]}
    assert set(invoices) == set(valid)
    assert len(XERO.books.invoices) == len(valid)
    for po, order in valid.items():
        invoice = invoices[po]
        assert money(invoice["Total"]) == expected_total(order), po
        assert invoice["InvoiceNumber"] == f"WM-{po}"
        assert (
            invoice["CurrencyCode"]
            == order["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["currency"]
        )
        if invoice["CurrencyCode"] != "USD":
            assert money(invoice["CurrencyRate"]) in {Decimal("1.3912"), Decimal("17.2045")}
        product_lines = [line for line in invoice["LineItems"] if line.get("ItemCode")]
        assert len(product_lines) == len(open_lines(order))
        assert all(
            line["Tracking"] == [{"Name": "Sales Channel", "Option": "Walmart Marketplace"}]
            for line in invoice["LineItems"]
        )
        rounding = [line for line in invoice["LineItems"] if line["AccountCode"] == "4900"]
        assert len(rounding) <= 1 and all(abs(money(line["LineAmount"])) <= Decimal("0.05") for line in rounding)
    for currency in ("USD", "CAD", "MXN"):
        in_currency = [
            o
            for o in valid.values()
            if o["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["currency"] == currency
        ]
        assert sum((money(invoices[o["purchaseOrderId"]]["Total"]) for o in in_currency), Decimal(0)) == sum(
            (expected_total(o) for o in in_currency), Decimal(0)
        )
    buyers = {(o["shippingInfo"]["postalAddress"]["name"], o["customerEmailId"].lower()) for o in valid.values()}
    assert len(XERO.books.contacts) == len(buyers)
    assert len({c["Name"] for c in XERO.books.contacts.values()}) == len(XERO.books.contacts)
    assert {c["Addresses"][0]["Country"] for c in XERO.books.contacts.values()} == {"US"}
    for order in groups["unknown_sku"]:
        run = runs[order["purchaseOrderId"]]
        assert run.status == RunStatus.REVIEW and run.error["node_id"] == "skus"
        unknown = sorted({line["item"]["sku"] for line in open_lines(order)} - KNOWN_SKUS)
        assert all(sku in run.error["message"] for sku in unknown), run.error
    for order in groups["no_shipping"]:
        run = runs[order["purchaseOrderId"]]
        assert run.status == RunStatus.FAILED and run.error["node_id"] == "checks"
        assert "no shipping" in run.error["message"]
    dead = api.get("/api/dead-letters/").json()
    dead_rows = dead["results"] if isinstance(dead, dict) else dead
    assert {row["run"] if "run" in row else row["id"] for row in dead_rows} >= {
        str(runs[o["purchaseOrderId"]].pk) for o in groups["no_shipping"]
    }
    acknowledged = [
        o
        for o in WALMART.orders.values()
        if any(line_status(line) == "Acknowledged" for line in o["orderLines"]["orderLine"])
    ]
    assert len(acknowledged) == len(valid)
    assert not FinanceAlert.objects.exists()

    # 2. Shipments from the warehouse webhook mark lines shipped; Walmart charges; payments follow.
    rng = random.Random(5)
    invoiced = sorted(valid)
    shipped = rng.sample(invoiced, len(invoiced) // 4)
    shipping = make_workflow(template_document("warehouse-shipment-to-walmart"), name="Shipments")
    _deliver_shipments(shipping, [valid[po] for po in shipped])
    engine_inline.drive_all(max_rounds=40)
    shipment_runs = Run.objects.filter(workflow=shipping)
    assert shipment_runs.count() == len(shipped)
    assert {r.status for r in shipment_runs} == {RunStatus.SUCCEEDED}, [r.error for r in shipment_runs][:2]
    assert all(
        {line_status(line) for line in WALMART.orders[po]["orderLines"]["orderLine"]} <= {"Shipped", "Cancelled"}
        for po in shipped
    )
    make_workflow(template_document("walmart-shipped-to-xero-payment"), name="Payments")
    _drive(engine_inline, overlap=True)
    payments = list(XERO.books.payments.values())
    assert sorted(p["Invoice"]["InvoiceID"] for p in payments) == sorted(invoices[po]["InvoiceID"] for po in shipped)
    for payment in payments:
        invoice = XERO.books.invoices[payment["Invoice"]["InvoiceID"]]
        assert payment["Amount"] == invoice["Total"] and payment["Account"]["Code"] == "1200"
        assert invoice["Status"] == "PAID"

    # 3. Partial refunds (some on paid, some on open invoices) become credit notes.
    walmart_client = WalmartClient(StoredConnection(connections[0]))
    unpaid = [po for po in invoiced if po not in set(shipped)]
    refunded = {
        po: _refund(walmart_client, valid[po], rng)
        for po in rng.sample(shipped, min(12, len(shipped))) + rng.sample(unpaid, min(18, len(unpaid)))
    }
    refunds = make_workflow(template_document("walmart-refund-to-xero-credit-note"), name="Refunds")
    _drive(engine_inline, overlap=True)
    notes = {n["Reference"]: n for n in XERO.books.credit_notes.values()}
    problems = [r.error for r in Run.objects.filter(workflow=refunds).exclude(status=RunStatus.SUCCEEDED)]
    assert not problems, problems[:2]
    assert len(notes) == len(refunded)
    refund_ids = {
        po: next(
            line["refund"]["refundId"] for line in WALMART.orders[po]["orderLines"]["orderLine"] if line.get("refund")
        )
        for po in refunded
    }
    for po, amount in refunded.items():
        note = notes[f"WMR-{refund_ids[po]}"]
        invoice = XERO.books.invoices[invoices[po]["InvoiceID"]]
        assert note["Type"] == "ACCRECCREDIT" and money(note["Total"]) == amount, po
        assert note["Contact"]["ContactID"] == invoice["Contact"]["ContactID"]
        if po in set(shipped):  # paid already: the credit left is refunded out of the clearing account
            assert money(note["RemainingCredit"]) == 0 and note["Status"] == "PAID"
            [refund] = [
                p
                for p in XERO.books.payments.values()
                if p.get("CreditNote", {}).get("CreditNoteID") == note["CreditNoteID"]
            ]
            assert refund["Amount"] == amount and refund["Account"]["Code"] == "1200"
            assert refund["PaymentType"] == "ARCREDITPAYMENT"
        else:
            assert money(note["RemainingCredit"]) == 0
            assert money(invoice["AmountDue"]) == money(invoice["Total"]) - amount

    # 4. Stock sold in Xero flows back to Walmart, less the safety stock.
    make_workflow(template_document("xero-stock-to-walmart-inventory"), name="Stock")
    _drive(engine_inline)
    by_code = {item["Code"]: item for item in XERO.books.items}
    for sku, code in {"MUG-01": "MUG", "TEE-02": "TEE", "BAG-03": "BAG", "LAMP-04": "LAMP"}.items():
        assert WALMART.inventory[sku] == max(0, int(by_code[code]["QuantityOnHand"]) - 2)

    # 5. The reconciliation report explains every difference.
    days = sorted({order_day(o) for o in orders})
    report = api.get(f"/api/reports/reconciliation/?start={days[0]}&end={days[-1]}").json()
    assert report["xero_source"] == "xero" and report["unexplained"] == 0, report["differences"][:3]
    held = {o["purchaseOrderId"] for o in groups["no_shipping"] + groups["unknown_sku"] if expected_total(o)}
    assert {d["purchase_order_id"] for d in report["differences"]} == held
    assert all(d["reason"].startswith(("in review: ", "dead letter: ")) for d in report["differences"])
    for currency in ("USD", "CAD", "MXN"):
        rows = [d for d in report["days"] if d["currency"] == currency]
        in_currency = [
            o
            for o in orders
            if o["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["currency"] == currency
        ]
        assert sum((money(d["walmart_total"]) for d in rows), Decimal(0)) == sum(
            (expected_total(o) for o in in_currency), Decimal(0)
        )
        assert sum((money(d["xero_total"]) for d in rows), Decimal(0)) == sum(
            (money(i["Total"]) for i in XERO.books.invoices.values() if i["CurrencyCode"] == currency), Decimal(0)
        )
    assert XERO.violations == 0
