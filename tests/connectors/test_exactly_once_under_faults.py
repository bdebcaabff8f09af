"""Exactly once under faults: a fifth of Xero's answers fail — half of them after the invoice
was already created — and a 429 storm passes through; every order still ends as one invoice."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Faults
from engine import scheduler
from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import Effect, Run
from tests.connectors.conftest import invoiceable
from tests.fixtures.engine import InlineEngine

ORDERS = 120


def test_faults_never_duplicate_or_lose_an_invoice(
    sandboxes: str, connections: Any, engine_inline: InlineEngine, template_workflow: Any
) -> None:
    random.seed(20261123)
    orders = seed_orders(ORDERS, seed=5)
    add_orders(orders)
    XERO.faults = Faults(error_rate=0.1, error_after_rate=0.1)
    # Walmart's real budgets are unknown; scaled up so the test does not wait for its refills.
    WALMART.limits.update({"orders.read": 6000, "orders.write": 6000})
    workflow = template_workflow()

    for round_number in range(40):
        if round_number == 2:
            XERO.faults = Faults(error_rate=0.1, error_after_rate=0.1, rate_limit_storm=True)
        if round_number == 4:
            XERO.faults = Faults(error_rate=0.1, error_after_rate=0.1)
        scheduler.tick()
        engine_inline.drive_all()
        if not Run.objects.exclude(status__in=list(FINAL_RUN_STATES)).exists() and round_number > 4:
            break

    runs = Run.objects.filter(workflow=workflow, parent__isnull=True)
    statuses = Counter(runs.values_list("status", flat=True))
    invoiced = invoiceable(orders)
    references = Counter(i["Reference"] for i in XERO.books.invoices.values())
    assert [ref for ref, n in references.items() if n > 1] == []
    assert set(references) == {o["purchaseOrderId"] for o in invoiced}
    assert statuses[RunStatus.SUCCEEDED] == len(invoiced), statuses
    assert len(XERO.books.contacts) == len({o["customerEmailId"] for o in invoiced})
    assert Effect.objects.filter(kind="invoice", status="applied").count() == len(invoiced)
    assert sum(XERO.calls.values()) > ORDERS  # the faults were really hit
    assert WALMART.violations == 0
