"""An outage of Xero: every call fails for a while. The connection's circuit breaker opens (the
API shows it), runs that reach Xero meanwhile — also ones that arrive during the outage — wait
instead of failing or using up their attempts, and once Xero is back the breaker closes and every
run completes: no run lost, no invoice twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from connectors.sdk.throttle import BreakerPolicy
from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.connection import XeroConnection
from connectors.xero.sandbox.store import STORE as XERO
from connectors.xero.sandbox.store import Faults
from engine import scheduler
from engine.core.states import FINAL_RUN_STATES, NodeStatus, RunStatus
from engine.models import NodeRun, NodeState, Run
from tests.connectors.conftest import invoiceable
from tests.fixtures.engine import InlineEngine, wait_for

#: The shipped policy (5 failures in a minute, 30 s cool-down), with a cool-down short enough for a test.
POLICY = BreakerPolicy(threshold=5, window=60.0, cooldown=6.0)


def breaker(api: Any, connection: Any) -> dict[str, Any]:
    listed = api.get("/api/connections/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    return next(row["breaker"] for row in rows if row["id"] == str(connection.pk))


def waiting_for_the_breaker(workflow: Any) -> int:
    return NodeRun.objects.filter(
        run__workflow=workflow, status=NodeStatus.RETRYING, error__code="circuit_open"
    ).count()


def failed_on_xero(workflow: Any) -> list[Any]:
    """Runs that failed for anything but the orders' own problems (no shipping address)."""
    return [
        run.error
        for run in Run.objects.filter(workflow=workflow, status=RunStatus.FAILED)
        if (run.error or {}).get("code") != "walmart.no_shipping_info"
    ]


def test_the_breaker_opens_in_an_outage_runs_wait_and_all_complete_after_it(
    connections: Any, engine_inline: InlineEngine, template_workflow: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(XeroConnection, "breaker", POLICY)
    _, xero = connections
    WALMART.limits.update({"orders.read": 6000, "orders.write": 6000})
    first, later = seed_orders(40, seed=11), seed_orders(20, seed=12, start=40)
    add_orders(first)
    workflow = template_workflow()
    assert breaker(api, xero)["state"] == "closed"

    # 1. Xero goes down: every call is answered 500 or 503.
    XERO.faults = Faults(error_rate=1.0)
    scheduler.tick()
    wait_for(
        lambda: engine_inline.run_like_workers() is not None and waiting_for_the_breaker(workflow) > 0,
        timeout=60,
        message="runs to wait for the open breaker",
    )
    state = breaker(api, xero)
    assert state["state"] == "open" and 0 < state["retry_in_seconds"] <= POLICY.cooldown

    # 2. Orders keep arriving during the outage: their runs wait too.
    add_orders(later)
    NodeState.objects.update(next_poll_at=None)
    calls_before = sum(XERO.calls.values())
    scheduler.tick()
    engine_inline.run_like_workers()
    arrived = Run.objects.filter(workflow=workflow, input__purchaseOrderId__in=[o["purchaseOrderId"] for o in later])
    assert arrived.exists()
    assert NodeRun.objects.filter(run__in=arrived, status=NodeStatus.RETRYING, error__code="circuit_open").exists()
    assert breaker(api, xero)["state"] == "open"
    assert failed_on_xero(workflow) == []
    assert not Run.objects.filter(workflow=workflow, status=RunStatus.SUCCEEDED).exists()
    # While it is open, nothing is sent: the outage costs no calls.
    assert sum(XERO.calls.values()) == calls_before

    # 3. Xero is back: a probe after the cool-down closes the breaker and everything flows.
    XERO.faults = Faults()

    def all_done() -> bool:
        scheduler.tick()
        engine_inline.run_like_workers()
        return not Run.objects.filter(workflow=workflow).exclude(status__in=list(FINAL_RUN_STATES)).exists()

    wait_for(all_done, timeout=120, message="every run to end after the outage")
    assert breaker(api, xero)["state"] == "closed"
    assert failed_on_xero(workflow) == []
    orders = first + later
    invoiced = {o["purchaseOrderId"] for o in invoiceable(orders)}
    references = Counter(i["Reference"] for i in XERO.books.invoices.values())
    assert [ref for ref, n in references.items() if n > 1] == []
    assert set(references) == invoiced
    assert Run.objects.filter(workflow=workflow, status=RunStatus.SUCCEEDED).count() == len(invoiced)
    # The waits did not use up attempts: no node needed more than the shipped policy allows.
    assert max(NodeRun.objects.filter(run__workflow=workflow).values_list("attempts", flat=True)) < 8
