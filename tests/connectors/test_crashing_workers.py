"""Workers killed with SIGKILL while 200 orders flow into Xero as invoices and then as payments:
every invoiceable order still ends as exactly one invoice and one payment, with no duplicate contact.

Most kills land at random moments. Two are deterministic: a worker started with
``LEDGERLINE_CRASH_POINT`` (``connectors.sdk.faults``) kills itself right after
Xero answered a batch of creates and before the effect ledger committed that
answer — once for invoices, once for payments — so the records exist at Xero
and the engine does not know it.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from connectors.walmart.sandbox.control import add_orders, ship_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Faults
from engine import scheduler
from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import Effect, Run
from tests.connectors.conftest import invoiceable, line_status
from tests.engine.test_workers import spawn_worker  # noqa: F401  (fixture)
from tests.fixtures.engine import wait_for
from tests.support.money_path import template_document

ORDERS = 200
#: Kills at random moments, besides the two at the crash point.
RANDOM_KILLS = 4
ENV = {"LEDGERLINE_RUN_LEASE_SECONDS": "3", "LEDGERLINE_BATCH_WINDOW_MS": "100"}

pytestmark = pytest.mark.skipif(
    settings.BROKER_URL.startswith("stub:"), reason="needs BROKER_URL=redis://… (make test sets it)"
)


def finished(workflow: Any) -> int:
    return Run.objects.filter(workflow=workflow, status__in=list(FINAL_RUN_STATES)).count()


def ticking(condition: Any) -> Any:
    """``condition`` after a scheduler tick (polls, resumes runs whose lease expired, releases stalled batches)."""
    return lambda: (scheduler.tick() and False) or condition()


def kill(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its processes, whatever they were doing."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def crash_at(point: str, spawn: Any) -> set[str]:
    """Start a worker that kills itself at ``point``; wait until it has. The ledger entries it left open."""
    crashing = spawn(**ENV, LEDGERLINE_CRASH_POINT=point)
    wait_for(ticking(lambda: crashing.poll() is not None), timeout=120, message=f"a worker to crash at {point}")
    kill(crashing)  # what is left of its process group
    return set(Effect.objects.filter(status=Effect.Status.STARTED).values_list("key", flat=True))


def kill_randomly(workflow: Any, total: int, spawn: Any, rng: random.Random, kills: int) -> subprocess.Popen[bytes]:
    """Run a worker and SIGKILL it ``kills`` times after a few more runs of ``workflow`` ended each time."""
    worker = spawn(**ENV)
    for _ in range(kills):
        target = min(finished(workflow) + rng.randint(3, 12), total - 5)
        wait_for(ticking(lambda target=target: finished(workflow) >= target), timeout=120, message="runs to progress")
        kill(worker)
        worker = spawn(**ENV)
    return worker


def wait_until_every_run_ends(workflow: Any, total: int) -> None:
    def all_done() -> bool:
        return finished(workflow) >= total and not (
            Run.objects.filter(workflow=workflow).exclude(status__in=list(FINAL_RUN_STATES)).exists()
        )

    try:
        wait_for(ticking(all_done), timeout=240, message="every run to end")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still open: {describe_open(workflow)}") from None


def describe_open(workflow: Any) -> list[dict[str, Any]]:
    """What the unfinished runs of ``workflow`` are stuck on (for the failure message)."""
    described = []
    for run in Run.objects.filter(workflow=workflow).exclude(status__in=list(FINAL_RUN_STATES))[:10]:
        described.append(
            {
                "status": run.status,
                "lease_expires_at": run.lease_expires_at,
                "wake_at": run.wake_at,
                "crashes": run.crash_count,
                "nodes": [(n.node_id, n.status, n.attempts) for n in run.node_runs.exclude(status="succeeded")],
                "batch_items": [(b.node_id, b.attempt, b.status, b.claimed_at) for b in run.batch_items.all()],
            }
        )
    return described


@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
# The test process runs the scheduler: it must see the workers' short lease to resume their runs.
@override_settings(LEDGERLINE_ENGINE={**settings.LEDGERLINE_ENGINE, "RUN_LEASE_SECONDS": 3})
def test_killed_workers_never_duplicate_an_invoice_a_contact_or_a_payment(
    connections: Any,
    template_workflow: Any,
    make_workflow: Any,
    spawn_worker: Any,  # noqa: F811
) -> None:
    rng = random.Random(7)
    orders = seed_orders(ORDERS, seed=21)
    add_orders(orders)
    WALMART.limits.update({"orders.read": 6000, "orders.write": 6000})
    XERO.faults = Faults(error_after_rate=0.05)  # some answers are lost on top of the kills
    invoiced = {o["purchaseOrderId"] for o in invoiceable(orders)}
    polled = len([o for o in orders if any(line_status(line) == "Created" for line in o["orderLines"]["orderLine"])])
    invoices_flow = template_workflow()

    # 1. Invoices: a crash between Xero's answer and the ledger's commit, then random kills.
    scheduler.tick()  # the first poll: a page of orders becomes runs
    left_open = crash_at("xero.invoice.after_create", spawn_worker)
    kills = 1
    assert left_open and len(XERO.books.invoices) >= len(left_open)  # created at Xero, unknown to the ledger
    worker = kill_randomly(invoices_flow, polled, spawn_worker, rng, RANDOM_KILLS - 1)
    kills += RANDOM_KILLS - 1
    wait_until_every_run_ends(invoices_flow, polled)

    references = Counter(i["Reference"] for i in XERO.books.invoices.values())
    assert [ref for ref, n in references.items() if n > 1] == []
    assert set(references) == invoiced
    contacts = Counter(c["ContactNumber"] for c in XERO.books.contacts.values())
    assert [number for number, n in contacts.items() if n > 1] == []
    assert Run.objects.filter(workflow=invoices_flow, status=RunStatus.SUCCEEDED).count() == len(invoiced)

    # 2. Payments: the invoiced orders ship, Walmart charges the buyers, the payment template pays.
    kill(worker)  # idle by now: not counted as a kill
    assert ship_orders(sorted(invoiced)) == len(invoiced)
    payments_flow = make_workflow(template_document("walmart-shipped-to-xero-payment"), name="Payments")
    scheduler.tick()
    left_open |= crash_at("xero.payment.after_create", spawn_worker)
    kills += 1
    assert Effect.objects.filter(kind="payment", key__in=left_open).exists()
    worker = kill_randomly(payments_flow, len(invoiced), spawn_worker, rng, 1)
    kills += 1
    wait_until_every_run_ends(payments_flow, len(invoiced))

    paid = Counter(p["Invoice"]["InvoiceID"] for p in XERO.books.payments.values())
    assert [invoice for invoice, n in paid.items() if n > 1] == []
    assert set(paid) == set(XERO.books.invoices)
    assert {i["Status"] for i in XERO.books.invoices.values()} == {"PAID"}
    assert Run.objects.filter(workflow=payments_flow, status=RunStatus.SUCCEEDED).count() == len(invoiced)
    # Every effect the crashes left open was settled by looking the record up, not by creating another.
    settled = Effect.objects.filter(key__in=left_open)
    assert {e.status for e in settled} == {Effect.Status.APPLIED}
    assert all(e.attempts >= 2 for e in settled)
    assert kills == 2 + RANDOM_KILLS >= 5
