"""Walmart's delivery quirks against the order-to-invoice template: every notification delivered
twice (and an ORDER_UPDATES after each PO_CREATED), polls overlapping the webhook and each
other, and a slow Walmart whose calls time out — some dropped, some applied with the answer
lost. No effect ever happens twice: one invoice per order and one contact per buyer, no ledger
entry twice, and every invoiceable order acknowledged on Walmart (a repeated acknowledgement
sets the status it already has)."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from connectors.sdk.signatures import sign
from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.walmart.sandbox.store import Faults
from connectors.xero.sandbox.store import STORE as XERO
from designer.fixtures_loader import fixtures_dir, load_rule_fixtures
from engine import scheduler
from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import Effect, NodeState, Run, RunEvent, WebhookEndpoint
from engine.webhooks import webhook_secret
from tests.connectors.conftest import TEMPLATE, invoiceable, line_status
from tests.fixtures.engine import InlineEngine, wait_for

ORDERS = 60
#: What every line of an invoiced order is once the template has acknowledged it.
DONE_WITH = {"Acknowledged", "Cancelled"}


def with_order_webhook(document: dict[str, Any]) -> dict[str, Any]:
    """The template with a second trigger: Walmart's order notifications, each order fetched by id."""
    document["nodes"] += [
        {"id": "hook", "type": "walmart.orders.webhook", "config": {"auth": "HMAC"}},
        {"id": "fetch", "type": "walmart.order.get", "config": {"connection": "Walmart"}},
    ]
    document["edges"] += [
        {"id": "h1", "source": "hook", "source_port": "out", "target": "fetch", "target_port": "in"},
        {"id": "h2", "source": "fetch", "source_port": "out", "target": "open", "target_port": "in"},
    ]
    return document


@pytest.fixture
def hooked_workflow(connections: Any, make_workflow: Any, org: Any) -> Any:
    """The shipped template wired to the test connections, with the notification trigger added."""
    load_rule_fixtures(organization=org, folder=fixtures_dir() / "rules", demo_rates=True)
    document = json.loads(TEMPLATE.read_text())["document"]
    for spec in document["nodes"]:
        if "connection" in spec["config"]:
            spec["config"]["connection"] = "Walmart" if spec["type"].startswith("walmart.") else "Xero"
    return make_workflow(with_order_webhook(document), name="Walmart to Xero, notified")


def notify(workflow: Any, orders: list[dict[str, Any]]) -> list[int]:
    """Walmart's notifications for ``orders``: PO_CREATED then ORDER_UPDATES, each delivered twice.
    The HTTP statuses and the duplicates each answer reported."""
    endpoint = WebhookEndpoint.objects.get(workflow=workflow, node_id="hook")
    secret = webhook_secret(endpoint)
    client, duplicates = Client(), []
    for order in orders:
        for event_type in ("PO_CREATED", "ORDER_UPDATES"):
            event_id = f"{event_type}-{order['purchaseOrderId']}"
            body = json.dumps(
                {
                    "source": {"eventType": event_type, "eventId": event_id, "eventTime": "2026-11-20T10:00:00Z"},
                    "payload": {"purchaseOrderId": order["purchaseOrderId"]},
                }
            ).encode()
            for _ in range(2):  # Walmart retries a delivery it thinks was lost
                response = client.post(
                    f"/hooks/{endpoint.token}/",
                    body,
                    content_type="application/json",
                    headers={"Authorization": sign(secret, body, encoding="base64")},
                )
                assert response.status_code == 202, response.content
                duplicates.append(response.json()["duplicates"])
    return duplicates


def overlapping_poll() -> None:
    """A second scheduler that read the trigger's state before the first one moved its cursor."""
    NodeState.objects.update(next_poll_at=None)  # the poll interval has passed (also after a failed poll)
    states = list(NodeState.objects.filter(data__has_key="cursor"))
    scheduler.tick()
    for state in states:  # the old cursor, due at once: the same pages are read again
        NodeState.objects.filter(pk=state.pk).update(data=state.data, next_poll_at=None)
    scheduler.tick()


def assert_every_effect_once(workflow: Any, orders: list[dict[str, Any]]) -> None:
    invoiced = {o["purchaseOrderId"] for o in invoiceable(orders)}
    references = Counter(i["Reference"] for i in XERO.books.invoices.values())
    assert [ref for ref, n in references.items() if n > 1] == []
    assert set(references) == invoiced
    contacts = Counter(c["ContactNumber"] for c in XERO.books.contacts.values())
    assert [number for number, n in contacts.items() if n > 1] == []
    ledger = Counter(Effect.objects.filter(workflow=workflow).values_list("kind", "business_key"))
    assert [key for key, n in ledger.items() if n > 1] == []
    assert Effect.objects.filter(workflow=workflow, kind="invoice", status="applied").count() == len(invoiced)
    acknowledged = {
        po
        for po in invoiced
        if {line_status(line) for line in WALMART.orders[po]["orderLines"]["orderLine"]}
        <= {"Acknowledged", "Cancelled"}
    }
    assert acknowledged == invoiced
    assert not Run.objects.filter(workflow=workflow).exclude(status__in=list(FINAL_RUN_STATES)).exists()


def drive_until_done(engine: InlineEngine, workflow: Any, orders: list[dict[str, Any]]) -> None:
    """Poll (overlapping) and run until every order Walmart lists as created has a run (from the poll
    or a notification) and every run ended."""
    created = {o["purchaseOrderId"] for o in orders if "Created" in map(line_status, o["orderLines"]["orderLine"])}

    def done() -> bool:
        overlapping_poll()
        engine.run_like_workers()
        runs = Run.objects.filter(workflow=workflow)
        seen = {run_input["purchaseOrderId"] for run_input in runs.values_list("input", flat=True)}
        return seen >= created and not runs.exclude(status__in=list(FINAL_RUN_STATES)).exists()

    wait_for(done, timeout=240, message="every run to end")


def test_duplicate_notifications_and_overlapping_polls_cause_no_duplicate_effect(
    connections: Any, engine_inline: InlineEngine, hooked_workflow: Any
) -> None:
    workflow = hooked_workflow
    orders = seed_orders(ORDERS, seed=31)
    add_orders(orders)
    WALMART.limits.update({"orders.read": 6000, "orders.write": 6000})
    notified = orders[: ORDERS // 2]

    duplicates = notify(workflow, notified)
    # Every second delivery of an event found the run the first one started.
    assert duplicates == [0, 1] * (2 * len(notified))
    drive_until_done(engine_inline, workflow, orders)
    notify(workflow, notified)  # and again, long after the runs ended: nothing new
    drive_until_done(engine_inline, workflow, orders)

    runs = Run.objects.filter(workflow=workflow)
    by_trigger = Counter(runs.values_list("trigger_node_id", flat=True))
    assert by_trigger["hook"] == 2 * len(notified)
    assert_every_effect_once(workflow, orders)
    invoiced = invoiceable(orders)
    # Three runs reached the invoice of a notified order (the poll's, PO_CREATED's, ORDER_UPDATES'):
    # one created it, the others found it in the ledger.
    outcomes = Counter(runs.values_list("trigger_node_id", "status"))
    assert outcomes[("orders", RunStatus.SUCCEEDED)] == len(invoiced), outcomes
    # Both notified runs of an invoiceable order succeeded too: they found the invoice in the ledger.
    succeeded = Counter(
        run.input["purchaseOrderId"] for run in runs.filter(trigger_node_id="hook", status=RunStatus.SUCCEEDED)
    )
    invoiced_ids = {o["purchaseOrderId"] for o in invoiced}
    assert {po: succeeded[po] for po in invoiced_ids if po in succeeded} == {
        o["purchaseOrderId"]: 2 for o in notified if o["purchaseOrderId"] in invoiced_ids
    }
    assert WALMART.violations == 0


def test_walmart_timeouts_and_slow_answers_are_retried_without_duplicates(
    connections: Any, engine_inline: InlineEngine, hooked_workflow: Any
) -> None:
    random.seed(4242)
    walmart, _ = connections
    walmart.settings = {**walmart.settings, "timeout_seconds": 0.25}
    walmart.save()
    workflow = hooked_workflow
    orders = seed_orders(ORDERS, seed=37)
    add_orders(orders)
    WALMART.limits.update({"orders.read": 6000, "orders.write": 6000})
    # A slow Walmart: every answer takes 30 ms; 15% of calls hang past the client's read timeout
    # and are dropped, 15% are applied and answered too late.
    WALMART.faults = Faults(slow_ms=30, timeout_rate=0.15, timeout_after_rate=0.15, timeout_seconds=0.4)
    notify(workflow, orders[::3])
    drive_until_done(engine_inline, workflow, orders)

    WALMART.faults = Faults()
    assert_every_effect_once(workflow, orders)
    timeouts = [
        event
        for event in RunEvent.objects.filter(workflow=workflow, type="node.retrying")
        if (event.payload.get("error") or {}).get("code") == "walmart.timeout"
    ]
    assert {event.node_id for event in timeouts} >= {"ack", "fetch"}  # both were retried after a timeout
    assert WALMART.violations == 0
