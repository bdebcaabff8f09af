"""Stock from Xero to Walmart (single calls for a few SKUs, one bulk feed for many) and the reconciliation command."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO
from designer.fixtures_loader import fixtures_dir, load_rule_fixtures
from engine import runner, scheduler
from engine.core.states import RunStatus
from engine.models import Run
from tests.fixtures.engine import InlineEngine
from tests.support.money_path import template_document


@pytest.mark.parametrize(("bulk_from", "via"), [(10, "single"), (3, "feed")])
def test_stock_changes_reach_walmart_less_the_safety_stock(
    connections: Any, engine_inline: InlineEngine, make_workflow: Any, org: Any, bulk_from: int, via: str
) -> None:
    load_rule_fixtures(organization=org, folder=fixtures_dir() / "rules", demo_rates=False)
    add_orders([])  # the sandbox's catalogue SKUs exist on Walmart with 100 each
    XERO.books.items[0]["QuantityOnHand"] = 1  # below the safety stock: Walmart gets 0, never a negative
    document = template_document("xero-stock-to-walmart-inventory")
    next(n for n in document["nodes"] if n["id"] == "inventory")["config"]["bulk_from"] = bulk_from
    workflow = make_workflow(document, name="Stock")
    scheduler.tick()
    for run in Run.objects.filter(workflow=workflow):
        runner.advance_run(str(run.pk))  # each run parks its call at the batchable node ...
    assert engine_inline.flush_batches() == [6]  # ... and the six travel together
    engine_inline.drive_all()
    runs = Run.objects.filter(workflow=workflow)
    assert runs.count() == 6 and {r.status for r in runs} == {RunStatus.SUCCEEDED}
    outputs = [r.node_runs.get(node_id="inventory").output["out"] for r in runs]
    assert {o["via"] for o in outputs} == {via}
    assert WALMART.inventory["MUG-01"] == 0
    assert WALMART.inventory["TEE-02"] == 98
    assert len(WALMART.feeds) == (1 if via == "feed" else 0)


def test_reconciliation_command_prints_the_report(org: Any) -> None:
    out = StringIO()
    call_command("reconciliation_report", "--start", "2026-12-01", "--end", "2026-12-02", stdout=out)
    report = json.loads(out.getvalue())
    assert report["days"] == [] and report["unexplained"] == 0
