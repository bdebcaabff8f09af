"""The runner, driven synchronously: order, data flow, retries, failures, crashes, replays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.test import override_settings
from django.utils import timezone

from engine import runner
from engine.core.states import NodeStatus, RunStatus
from engine.models import NodeRun, Run
from engine.services import cancel_run, replay_from, start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, document, edge, manual, node


def start(workflow: Any, payload: Any = None, **kwargs: Any) -> Run:
    run, created = start_run(workflow_version=workflow.latest_version(), input=payload, **kwargs)
    assert created
    return run


def node_runs(run: Run) -> dict[str, NodeRun]:
    return {nr.node_id: nr for nr in run.node_runs.all()}


def executions(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_nodes_run_in_order_and_pass_data(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(
        chain(manual(), node("one", "test.count", log_file=str(log)), node("two", "test.count", log_file=str(log)))
    )
    run = engine_inline.drive(start(workflow, {"order": 7}))

    assert run.status == RunStatus.SUCCEEDED
    assert executions(log) == ["one 1", "two 1"]
    by_node = node_runs(run)
    assert {n: nr.status for n, nr in by_node.items()} == {"start": "succeeded", "one": "succeeded", "two": "succeeded"}
    assert by_node["two"].input == {"order": 7}
    assert by_node["two"].output == {"out": {"order": 7}}
    types = list(run.events.order_by("seq").values_list("type", "node_id"))
    assert types == [
        ("run.created", ""),
        ("run.started", ""),
        ("node.started", "start"),
        ("node.succeeded", "start"),
        ("node.started", "one"),
        ("node.succeeded", "one"),
        ("node.started", "two"),
        ("node.succeeded", "two"),
        ("run.succeeded", ""),
    ]
    assert list(run.events.values_list("seq", flat=True)) == list(range(1, 10))


def test_transient_failures_are_retried_with_backoff_by_rescheduling(
    engine_inline: InlineEngine, make_workflow: Any
) -> None:
    workflow = make_workflow(chain(manual(), node("flaky", "test.flaky", failures=2)))
    run = start(workflow, {"x": 1})
    runner.advance_run(str(run.pk))

    run.refresh_from_db()
    assert run.status == RunStatus.WAITING
    assert node_runs(run)["flaky"].status == NodeStatus.RETRYING
    # The worker did not sleep: it scheduled the next step with a delay.
    assert engine_inline.sent[-1][0] == str(run.pk) and engine_inline.sent[-1][1] > 0

    run = engine_inline.drive(run)
    assert run.status == RunStatus.SUCCEEDED
    flaky = node_runs(run)["flaky"]
    assert flaky.attempts == 3
    assert flaky.output == {"out": {"attempt": 3, "item": {"x": 1}}}
    # RetryPolicy(base_delay=0.2, max_delay=1.0): attempt 1 waits 0.1-0.2 s, attempt 2 waits 0.2-0.4 s.
    assert len(engine_inline.delays) == 2
    assert 0.0 < engine_inline.delays[0] <= 0.2 and 0.1 < engine_inline.delays[1] <= 0.4
    assert run.events.filter(type="node.retrying").count() == 2


def test_rate_limited_waits_as_long_as_the_remote_asked(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(
        chain(manual(), node("flaky", "test.flaky", failures=1, failure="rate_limited", retry_after=30))
    )
    run = start(workflow)
    runner.advance_run(str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING
    assert 29 <= (run.wake_at - timezone.now()).total_seconds() <= 30
    assert 29_000 <= engine_inline.sent[-1][1] <= 30_000


def test_a_waiting_run_woken_early_goes_back_to_sleep(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(
        chain(manual(), node("flaky", "test.flaky", failures=1, failure="rate_limited", retry_after=30))
    )
    run = start(workflow)
    runner.advance_run(str(run.pk))
    runner.advance_run(str(run.pk))  # e.g. a duplicate message
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING
    # Waiting for a rate limit is not an attempt.
    assert (node_runs(run)["flaky"].attempts, node_runs(run)["flaky"].waits) == (0, 1)


def test_permanent_failure_ends_the_run_with_the_node_and_field(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(
        chain(
            manual(),
            node("bad", "test.flaky", failures=1, failure="permanent"),
            node("after", "test.count", log_file=str(log)),
        )
    )
    run = engine_inline.drive(start(workflow))

    assert run.status == RunStatus.FAILED
    assert run.error == {
        "node_id": "bad",
        "kind": "permanent",
        "code": "permanent",
        "message": "the item is wrong",
        "details": {"sku": "unknown"},
        "field": "input.sku",
    }
    assert node_runs(run)["bad"].attempts == 1
    assert "after" not in node_runs(run)
    assert executions(log) == []
    assert engine_inline.delays == []


def test_retries_run_out(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("flaky", "test.flaky", failures=10)))
    run = engine_inline.drive(start(workflow))
    assert run.status == RunStatus.FAILED
    assert run.error["gave_up_after_attempts"] == 4
    assert node_runs(run)["flaky"].attempts == 4


def test_invalid_config_at_run_time_fails_with_the_field(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("gate", "test.gate", open_file="/nonexistent")))
    version = workflow.latest_version()
    broken = {**version.document}
    broken["nodes"] = [dict(n, config={}) if n["id"] == "gate" else n for n in broken["nodes"]]
    version.__class__.objects.filter(pk=version.pk).update(document=broken)  # bypass immutability to simulate drift
    run = engine_inline.drive(start(workflow))
    assert run.status == RunStatus.FAILED
    assert run.error["code"] == "invalid_config"
    assert run.error["node_id"] == "gate"


def test_a_run_resumes_after_its_worker_died_without_repeating_finished_nodes(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(
        chain(manual(), node("one", "test.count", log_file=str(log)), node("two", "test.count", log_file=str(log)))
    )
    run = start(workflow, {"n": 1})
    # A worker finished "start" and "one", began "two" and died holding the lease.
    engine_inline.drive(run)
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
        finished_at=None,
    )
    NodeRun.objects.filter(run=run, node_id="two").update(status=NodeStatus.RUNNING, output=None)
    log.write_text("one 1\n")

    runner.advance_run(str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.crash_count == 1
    assert executions(log) == ["one 1", "two 2"]
    assert node_runs(run)["one"].attempts == 1


def test_a_live_lease_is_respected_and_rechecked_when_it_expires(
    engine_inline: InlineEngine, make_workflow: Any
) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    run = start(workflow)
    Run.objects.filter(pk=run.pk).update(lease_owner="busy", lease_expires_at=timezone.now() + dt.timedelta(seconds=20))
    runner.advance_run(str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING
    assert run.node_runs.count() == 0
    assert 19_000 <= engine_inline.sent[-1][1] <= 22_000


@override_settings(LEDGERLINE_ENGINE={"RUN_LEASE_SECONDS": 60, "MAX_RUN_CRASHES": 2, "SCHEDULER_TICK_SECONDS": 5})
def test_a_run_that_keeps_killing_workers_is_quarantined(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    run = start(workflow)
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        crash_count=2,
        lease_owner="dead",
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    runner.advance_run(str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.DEAD
    assert run.crash_count == 3
    assert run.error["code"] == "quarantined"
    assert run.node_runs.count() == 0


def test_a_finished_run_is_never_executed_again(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(chain(manual(), node("one", "test.count", log_file=str(log))))
    run = engine_inline.drive(start(workflow))
    runner.advance_run(str(run.pk))
    runner.advance_run(str(run.pk))
    assert executions(log) == ["one 1"]


def test_the_same_event_key_starts_one_run(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    version = workflow.latest_version()
    first, created_first = start_run(
        workflow_version=version, input={"a": 1}, trigger_node_id="start", event_key="PO-1:v1"
    )
    second, created_second = start_run(
        workflow_version=version, input={"a": 1}, trigger_node_id="start", event_key="PO-1:v1"
    )
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Run.objects.count() == 1


def test_unconnected_inputs_and_other_triggers_are_skipped(engine_inline: InlineEngine, make_workflow: Any) -> None:
    doc = document(
        [manual("a"), manual("b"), node("ja", "test.join"), node("after_b", "test.count")],
        [edge("a", "ja", target_port="left"), edge("b", "after_b")],
    )
    workflow = make_workflow(doc)
    run = engine_inline.drive(start(workflow, {"v": 1}, trigger_node_id="a"))
    assert run.status == RunStatus.SUCCEEDED
    assert {n: nr.status for n, nr in node_runs(run).items()} == {
        "a": "succeeded",
        "b": "skipped",
        "ja": "succeeded",
        "after_b": "skipped",
    }
    assert node_runs(run)["ja"].output == {"out": {"left": {"v": 1}}}


def test_replay_from_a_failed_node_reuses_the_earlier_results(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    gate = tmp_path / "open"
    workflow = make_workflow(
        chain(
            manual(),
            node("one", "test.count", log_file=str(log)),
            node("gate", "test.gate", open_file=str(gate), timeout=0),
        )
    )
    failed = engine_inline.drive(start(workflow, {"k": 1}))
    # The gate was closed: transient failures until the attempts ran out.
    assert failed.status == RunStatus.FAILED

    gate.write_text("")
    replay = engine_inline.drive(replay_from(failed, "gate"))
    assert replay.status == RunStatus.SUCCEEDED
    assert replay.parent_id == failed.pk
    assert executions(log) == ["one 1"]
    assert node_runs(replay)["gate"].attempts == 1
    assert node_runs(replay)["gate"].output == {"out": {"k": 1}}


def test_cancel_stops_a_waiting_run(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("flaky", "test.flaky", failures=3)))
    run = start(workflow)
    runner.advance_run(str(run.pk))
    cancel_run(run)
    run = engine_inline.drive(run)
    assert run.status == RunStatus.CANCELLED
    assert node_runs(run)["flaky"].attempts == 1
    assert run.events.filter(type="run.cancelled").count() == 1


def test_a_node_type_missing_on_the_worker_fails_the_run_clearly(
    engine_inline: InlineEngine, make_workflow: Any
) -> None:
    from connectors.sdk.registry import node_types

    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    cls = node_types.get_class("test.count")
    node_types.unregister("test.count")
    try:
        run = engine_inline.drive(start(workflow))
    finally:
        node_types.register(cls)
    assert run.status == RunStatus.FAILED
    assert run.error["code"] == "unknown_type"
    assert "test.count" in run.error["message"]


def test_fan_out_continues_each_item_in_its_own_child_run(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(
        chain(
            manual(),
            node("split", "test.split"),
            node("each", "test.flaky", failures=0),
            node("log", "test.count", log_file=str(log)),
        )
    )
    parent = engine_inline.drive(start(workflow, {"items": [{"id": "L1", "qty": 1}, {"id": "L2", "qty": 2}]}))
    assert parent.status == RunStatus.SUCCEEDED
    assert {n: nr.status for n, nr in node_runs(parent).items()} == {
        "start": "succeeded",
        "split": "succeeded",
        "each": "skipped",
        "log": "skipped",
    }
    children = list(Run.objects.filter(parent=parent).order_by("event_key"))
    assert [c.event_key for c in children] == [f"{parent.pk}/split/L1", f"{parent.pk}/split/L2"]

    engine_inline.drive_all()
    outputs = sorted(node_runs(Run.objects.get(pk=c.pk))["each"].output["out"]["item"]["qty"] for c in children)
    assert outputs == [1, 2]
    assert sorted(executions(log)) == ["log 1", "log 1"]
    for child in children:
        child_runs = node_runs(Run.objects.get(pk=child.pk))
        assert child_runs["start"].attempts == 1 and child_runs["split"].status == "succeeded"
