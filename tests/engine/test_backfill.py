"""Backfill: a polling trigger replayed from a past date, page by page, into runs, with progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from connectors.sdk import register
from connectors.sdk.nodes import PollingTrigger, PollResult, TriggerEvent
from engine.backfill import backfill_progress, run_backfill
from engine.models import NodeState, Run
from tests.support.flows import chain, node

ORDERS = [{"po": f"PO-{i}", "modified": 1_000 + i} for i in range(25)]


@register
class PagedOrders(PollingTrigger):
    """Pages of ``config.page`` orders from ORDERS, after ``cursor["since"]``; counts the pages it served."""

    type = "test.paged_orders"
    title = "Paged orders"
    category = "Test"
    config_schema = {"type": "object", "properties": {"page": {"type": "integer"}}}
    served: list[int] = []

    def poll(self, context: Any, cursor: Any) -> PollResult:
        cursor = dict(cursor or {})
        offset = int(cursor.get("next") or 0)
        page = [o for o in ORDERS if o["modified"] * 1000 >= int(cursor.get("since", 0))][offset:][
            : int(context.config.get("page", 10))
        ]
        PagedOrders.served.append(len(page))
        events = [TriggerEvent(key=o["po"], payload=o) for o in page]
        more = offset + len(page) < len(ORDERS)
        walk = max([o["modified"] * 1000 for o in page], default=int(cursor.get("since", 0)))
        return PollResult(events=events, cursor={"since": cursor.get("since"), "next": offset + len(page),
                                                 "walk_max": walk}, more=more)  # fmt: skip


def test_a_backfill_pages_through_the_range_once_and_reports_progress(make_workflow: Any) -> None:
    PagedOrders.served.clear()
    workflow = make_workflow(chain(node("poll", "test.paged_orders", page=10), node("n", "test.count")))
    Run.objects.create(
        workflow=workflow,
        workflow_version=workflow.latest_version(),
        trigger_node_id="poll",
        event_key="PO-3",
        input=ORDERS[3],
    )  # fmt: skip  (the live poll took this one already)
    NodeState.objects.create(workflow=workflow, node_id="poll", data={"cursor": {"since": 99}})
    seen: list[tuple[str, int]] = []
    done = run_backfill(
        workflow,
        "poll",
        dt.datetime.fromtimestamp(1_000, dt.UTC),
        dt.datetime.fromtimestamp(1_024, dt.UTC),
        on_progress=lambda p: seen.append((p.status, p.events)),
    )
    assert PagedOrders.served == [10, 10, 5]  # page by page, never the whole range at once
    assert (done.events, done.started, done.duplicates) == (25, 24, 1)
    assert seen == [("running", 10), ("running", 20), ("running", 25), ("done", 25)]
    assert Run.objects.filter(workflow=workflow, triggered_by="backfill").count() == 24
    assert Run.objects.filter(workflow=workflow).values("event_key").distinct().count() == 25
    stored = backfill_progress(workflow, "poll")
    assert stored is not None and stored["status"] == "done" and stored["events"] == 25 and stored["rate"] > 0
    assert NodeState.objects.get(workflow=workflow, node_id="poll").data["cursor"] == {"since": 99}  # untouched


def test_backfill_refuses_a_node_that_is_not_a_polling_trigger(make_workflow: Any) -> None:
    workflow = make_workflow(chain(node("poll", "test.paged_orders"), node("n", "test.count")))
    with pytest.raises(ValueError, match="not a polling trigger"):
        run_backfill(workflow, "n", dt.datetime.now(dt.UTC))
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("backfill", str(workflow.pk), "poll", "--since", "last tuesday")


@register
class CountedOrders(PagedOrders):
    """PagedOrders whose source reports how many the walk will find (Walmart's ``totalCount``)."""

    type = "test.counted_orders"

    def poll(self, context: Any, cursor: Any) -> PollResult:
        result = super().poll(context, cursor)
        return PollResult(events=result.events, cursor={**result.cursor, "total": len(ORDERS)}, more=result.more)


def test_progress_counts_against_the_total_the_source_reports(make_workflow: Any) -> None:
    workflow = make_workflow(chain(node("poll", "test.counted_orders", page=10), node("n", "test.count")))
    seen: list[tuple[float, float | None]] = []
    # The orders all sit at the end of a long range: by dates walked, page one would look finished.
    run_backfill(
        workflow,
        "poll",
        dt.datetime.fromtimestamp(0, dt.UTC),
        dt.datetime.fromtimestamp(1_024, dt.UTC),
        on_progress=lambda p: seen.append((p.fraction, p.eta_seconds)),
    )
    assert [fraction for fraction, _ in seen] == [0.4, 0.8, 1.0, 1.0]
    first_eta = seen[0][1]
    assert first_eta is not None and first_eta > 0
