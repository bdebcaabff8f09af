"""Cross-run batching: many runs, one remote call; each run gets its own result or failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import override_settings

from engine import runner
from engine.core.states import RunStatus
from engine.models import BatchItem, Run
from engine.services import start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node

ENGINE = {
    "RUN_LEASE_SECONDS": 60,
    "MAX_RUN_CRASHES": 5,
    "SCHEDULER_TICK_SECONDS": 5,
    "BATCH_WINDOW_MS": 200,
    "BATCH_MAX_ITEMS": 50,
}


def start_many(workflow: Any, items: list[dict[str, Any]]) -> list[Run]:
    runs = []
    for item in items:
        run, _ = start_run(workflow_version=workflow.latest_version(), input=item)
        runner.advance_run(str(run.pk))
        runs.append(run)
    return runs


def batch_sizes(calls: Path) -> list[int]:
    return [int(line) for line in calls.read_text().splitlines()]


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_runs_at_a_batchable_node_share_calls_split_by_batch_size(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(
        chain(manual(), node("post", "test.batch", calls_file=str(calls)), node("after", "test.count"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        runs = start_many(workflow, [{"ref": f"PO-{i}"} for i in range(7)])

    assert {Run.objects.get(pk=r.pk).status for r in runs} == {RunStatus.WAITING}
    assert BatchItem.objects.filter(status="pending").count() == 7
    assert len(engine_inline.flushes) == 7 and {delay for _, delay in engine_inline.flushes} == {200}

    assert engine_inline.flush_batches() == [3, 3, 1]
    engine_inline.drive_all()
    assert batch_sizes(calls) == [3, 3, 1]
    for run in runs:
        run.refresh_from_db()
        post = run.node_runs.get(node_id="post")
        assert run.status == RunStatus.SUCCEEDED
        assert post.output == {"out": {"ref": run.input["ref"], "run": str(run.pk)}}
        assert post.attempts == 1
        assert run.events.filter(type="node.succeeded", node_id="post").get().payload["batch_size"] in (1, 3)


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_an_element_failure_fails_only_its_run(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    good, bad, other = start_many(workflow, [{"ref": "A"}, {"ref": "B", "bad": True}, {"ref": "C"}])
    engine_inline.drive_all()
    statuses = {r.input["ref"]: Run.objects.get(pk=r.pk).status for r in (good, bad, other)}
    assert statuses == {"A": "succeeded", "B": "failed", "C": "succeeded"}
    assert Run.objects.get(pk=bad.pk).error["message"] == "B is invalid"
    assert batch_sizes(calls) == [3]


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_a_failed_batch_is_retried_per_run_and_batched_again(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls), fail_all=True)))
    runs = start_many(workflow, [{"ref": "A"}, {"ref": "B"}])
    engine_inline.drive_all()
    assert [Run.objects.get(pk=r.pk).status for r in runs] == ["succeeded", "succeeded"]
    assert [r.node_runs.get(node_id="post").attempts for r in runs] == [2, 2]
    assert batch_sizes(calls)[0] == 2


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_a_flush_that_died_is_sent_again(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    import datetime as dt

    from django.utils import timezone

    from engine.batching import release_stalled_batches

    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    [run] = start_many(workflow, [{"ref": "A"}])
    BatchItem.objects.update(status="claimed", batch_id="dead", claimed_at=timezone.now() - dt.timedelta(minutes=5))
    assert release_stalled_batches(timezone.now(), dt.timedelta(seconds=60)) == 1
    engine_inline.drive_all()
    finished = Run.objects.get(pk=run.pk)
    assert finished.status == RunStatus.SUCCEEDED, finished.error


@override_settings(LEDGERLINE_ENGINE={**ENGINE, "BATCH_WINDOW_MS": 0})
def test_batching_can_be_switched_off(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    [run] = start_many(workflow, [{"ref": "A"}])
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED
    assert batch_sizes(calls) == [1]
    assert BatchItem.objects.count() == 0
