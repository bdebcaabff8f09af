"""Workers killed with SIGKILL at random moments while orders flow into Xero: every order
still ends as exactly one invoice, with no duplicate contact."""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Faults
from engine import scheduler
from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import Run
from tests.connectors.conftest import invoiceable
from tests.engine.test_workers import spawn_worker  # noqa: F401  (fixture)
from tests.fixtures.engine import wait_for

ORDERS = 60
KILLS = 5

pytestmark = pytest.mark.skipif(
    settings.BROKER_URL.startswith("stub:"), reason="needs BROKER_URL=redis://… (make test sets it)"
)


def finished(workflow: Any) -> int:
    return Run.objects.filter(workflow=workflow, status__in=list(FINAL_RUN_STATES)).count()


@pytest.mark.django_db(transaction=True)
# The test process runs the scheduler: it must see the workers' short lease to resume their runs.
@override_settings(LEDGERLINE_ENGINE={**settings.LEDGERLINE_ENGINE, "RUN_LEASE_SECONDS": 3})
def test_killed_workers_never_duplicate_an_invoice(connections: Any, template_workflow: Any, spawn_worker: Any) -> None:  # noqa: F811
    rng = random.Random(7)
    orders = seed_orders(ORDERS, seed=21)
    add_orders(orders)
    XERO.faults = Faults(error_after_rate=0.05)
    workflow = template_workflow()
    env = {"LEDGERLINE_RUN_LEASE_SECONDS": "3", "LEDGERLINE_BATCH_WINDOW_MS": "100"}
    worker = spawn_worker(**env)
    scheduler.tick()  # the first poll: one page of orders becomes runs
    kills = 0
    while kills < KILLS:
        target = min(finished(workflow) + rng.randint(2, 6), ORDERS - 5)
        wait_for(
            lambda target=target: finished(workflow) >= target or (scheduler.tick() and False),
            timeout=90,
            message="runs to progress",
        )
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its processes, whatever they were doing
        worker.wait(timeout=10)
        kills += 1
        worker = spawn_worker(**env)

    def all_done() -> bool:
        scheduler.tick()  # resumes runs whose lease expired and batches a dead flush left behind
        open_runs = Run.objects.filter(workflow=workflow).exclude(status__in=list(FINAL_RUN_STATES))
        return not open_runs.exists() and Run.objects.filter(workflow=workflow).exists()

    wait_for(all_done, timeout=180, message="every run to end")
    runs = Run.objects.filter(workflow=workflow, parent__isnull=True)
    invoiced = {o["purchaseOrderId"] for o in invoiceable(orders)}
    references = Counter(i["Reference"] for i in XERO.books.invoices.values())
    assert [ref for ref, n in references.items() if n > 1] == []
    assert set(references) == invoiced
    names = Counter(c["ContactNumber"] for c in XERO.books.contacts.values())
    assert [n for n, count in names.items() if count > 1] == []
    assert runs.filter(status=RunStatus.SUCCEEDED).count() == len(invoiced)
    assert kills == KILLS
