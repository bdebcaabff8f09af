"""Cross-run batching: many runs, one remote call; each run gets its own result or failure."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from connectors.sdk import NodeType, register
from engine import pacing, runner
from engine.batching import wake
from engine.core.states import RunStatus
from engine.models import BatchItem, Run
from engine.pacing import Backlog, flush_delay
from engine.services import start_run
from tests.fixtures.engine import BATCHING_ENGINE, InlineEngine
from tests.support.flows import chain, manual, node

ENGINE = BATCHING_ENGINE


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
    # One flush message for the seven parked calls, due one batch window after the first.
    assert [delay for _, delay in engine_inline.flushes] == [200]

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
def test_a_batch_refused_for_a_rate_limit_is_sent_again_instead_of_replaying_the_refusal(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    calls, limited = tmp_path / "calls", tmp_path / "limited"
    workflow = make_workflow(
        chain(manual(), node("post", "test.batch", calls_file=str(calls), rate_limited_until_file=str(limited)))
    )
    runs = start_many(workflow, [{"ref": "A"}, {"ref": "B"}])
    engine_inline.drive_all()
    assert [Run.objects.get(pk=r.pk).status for r in runs] == ["succeeded", "succeeded"]
    posts = [r.node_runs.get(node_id="post") for r in runs]
    # The wait did not use up an attempt, and the call after it went to the remote again.
    assert [(p.attempts, p.waits) for p in posts] == [(1, 1), (1, 1)]
    assert batch_sizes(calls)[0] == 2 and sum(batch_sizes(calls)) == 4
    assert {p.output["out"]["ref"] for p in posts} == {"A", "B"}


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


# -- a batch retried after a worker died mid-flush creates nothing twice ----------------------


class WorkerDied(BaseException):
    """Stands for the worker process dying: nothing in the flush catches it."""


@register
class LedgerBatchNode(NodeType):
    """Batchable and exactly once through the effect ledger, over a "remote" kept in a file.

    With ``die_after_send`` the first batch dies after the remote created its
    records but before the answers were recorded (the uncertain case).
    """

    type = "test.batch_ledger"
    title = "Batch through the ledger"
    category = "Test"
    side_effects = True
    batchable = True
    batch_size = 10
    config_schema = {
        "type": "object",
        "required": ["remote_file"],
        "properties": {"remote_file": {"type": "string"}, "die_after_send": {"type": "boolean"}},
    }

    def execute_batch(self, calls: Any) -> list[Any]:
        remote = Path(calls[0][0].config["remote_file"])
        existing = remote.read_text().splitlines() if remote.exists() else []
        results: list[Any] = [None] * len(calls)
        to_send = []
        for index, (context, item) in enumerate(calls):
            effect = context.effect("record", item["ref"])
            if effect.previous is not None:
                results[index] = dict(effect.previous)
            elif effect.uncertain and item["ref"] in existing:  # look it up before creating it again
                effect.record({"ref": item["ref"]}, remote_id=item["ref"])
                results[index] = {"ref": item["ref"]}
            else:
                to_send.append((index, effect, item["ref"]))
        with remote.open("a") as out:
            out.writelines(f"{ref}\n" for _, _, ref in to_send)
        died = remote.with_suffix(".died")
        if calls[0][0].config.get("die_after_send") and not died.exists():
            died.write_text("1")
            raise WorkerDied
        for index, effect, ref in to_send:
            effect.record({"ref": ref}, remote_id=ref)
            results[index] = {"ref": ref}
        return results


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_a_batch_retried_after_the_worker_died_creates_nothing_twice(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    import datetime as dt

    from django.utils import timezone

    from engine.batching import flush, release_stalled_batches

    remote = tmp_path / "remote"
    workflow = make_workflow(
        chain(manual(), node("post", "test.batch_ledger", remote_file=str(remote), die_after_send=True))
    )
    runs = start_many(workflow, [{"ref": f"R{i}"} for i in range(4)])
    [key] = set(BatchItem.objects.values_list("batch_key", flat=True))
    with pytest.raises(WorkerDied):
        flush(key)
    assert remote.read_text().split() == ["R0", "R1", "R2", "R3"]  # the remote has them; we do not know
    assert set(BatchItem.objects.values_list("status", flat=True)) == {"claimed"}

    later = timezone.now() + dt.timedelta(minutes=5)
    assert release_stalled_batches(later, dt.timedelta(seconds=60)) == 4
    engine_inline.drive_all()
    assert [Run.objects.get(pk=r.pk).status for r in runs] == ["succeeded"] * 4
    assert sorted(remote.read_text().split()) == ["R0", "R1", "R2", "R3"]  # each exactly once
    assert {r.node_runs.get(node_id="post").output["out"]["ref"] for r in runs} == {"R0", "R1", "R2", "R3"}


# -- pacing: batches are sized and paced to the connection's budget --------------------------


def backlog(pending: int, age: float = 0.0, batch_max: int = 50) -> Backlog:
    return Backlog(pending=pending, oldest_age=age, batch_max=batch_max)


def test_pacing_sends_a_full_batch_at_once_and_a_partial_one_after_the_window() -> None:
    unlimited = {"window": 0.2, "max_wait": 3.0, "budget_wait": 0.0, "rate_limited": False}
    assert flush_delay(backlog(0), **unlimited) == -1
    assert flush_delay(backlog(50), **unlimited) == 0
    assert flush_delay(backlog(7, age=0.05), **unlimited) == pytest.approx(0.15)
    assert flush_delay(backlog(7, age=0.3), **unlimited) == 0


def test_pacing_lets_partial_batches_of_a_rate_limited_connection_fill_up() -> None:
    limited = {"window": 0.2, "max_wait": 3.0, "budget_wait": 0.0, "rate_limited": True}
    assert flush_delay(backlog(7, age=0.3), **limited) == pytest.approx(2.7)
    assert flush_delay(backlog(7, age=3.5), **limited) == 0  # not forever: max_wait bounds the hold
    assert flush_delay(backlog(50, age=0.0), **limited) == 0  # a full batch never waits


def test_pacing_keeps_collecting_while_no_call_would_be_admitted() -> None:
    spent = {"window": 0.2, "max_wait": 3.0, "budget_wait": 0.8, "rate_limited": True}
    assert flush_delay(backlog(50, age=5.0), **spent) == pytest.approx(0.8)
    assert flush_delay(backlog(3, age=5.0), **spent) == pytest.approx(0.8)


def test_the_limiter_reports_headroom_without_taking_a_slot() -> None:
    from connectors.sdk.throttle import BreakerPolicy, Limit, Throttle

    throttle = Throttle(f"pacing-{uuid.uuid4().hex}", (Limit("minute", 4, 60.0),), None, BreakerPolicy())
    assert throttle.headroom() == (0.0, 1.0)
    assert throttle.headroom() == (0.0, 1.0)  # looking took nothing
    for _ in range(3):
        with throttle.slot():
            pass
    assert throttle.headroom() == (0.0, 0.25)
    with throttle.slot():
        pass
    wait, left = throttle.headroom()
    assert left == 0.0 and wait == pytest.approx(15.0)


def test_flush_messages_are_deduplicated_per_due_time(
    engine_inline: InlineEngine, django_capture_on_commit_callbacks: Any
) -> None:
    key = f"pacing-{uuid.uuid4().hex}"
    with django_capture_on_commit_callbacks(execute=True) as decided_after_commit:
        pacing.schedule_flush(key, 1.0)
    assert len(decided_after_commit) == 1
    assert pacing.send_unless_due(key, 1.5) is False  # one is due sooner already
    assert pacing.send_unless_due(key, 0.0) is True  # sooner than the one scheduled: a new message
    pacing.flush_started(key)
    assert pacing.send_unless_due(key, 2.0) is True
    assert [delay for k, delay in engine_inline.flushes if k == key] == [1000, 0, 2000]


# A window far longer than the test takes: the partial batch below is always inside it, however slow the machine.
@override_settings(LEDGERLINE_ENGINE={**ENGINE, "BATCH_MAX_ITEMS": 3, "BATCH_WINDOW_MS": 60_000})
def test_a_flush_without_budget_claims_nothing_and_comes_back_when_the_slot_frees(
    engine_inline: InlineEngine,
    make_workflow: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from engine.batching import flush_when_due as flush_in_transaction

    def flush_when_due(key: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):  # outside a test, no transaction is open
            return flush_in_transaction(key)

    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    start_many(workflow, [{"ref": f"PO-{i}"} for i in range(5)])
    [key] = set(BatchItem.objects.values_list("batch_key", flat=True))
    engine_inline.flushes.clear()

    monkeypatch.setattr(pacing, "budget_of", lambda context: (1.5, True))
    assert flush_when_due(key) == 0
    assert not calls.exists() and BatchItem.objects.filter(status="pending").count() == 5
    assert [delay for _, delay in engine_inline.flushes] == [1500]

    monkeypatch.setattr(pacing, "budget_of", lambda context: (0.0, False))
    assert flush_when_due(key) == 3  # a full batch goes at once
    assert batch_sizes(calls) == [3]
    # Two left: a partial batch waits for the rest of its window (the test's calls are fresh).
    assert 0 < engine_inline.flushes[-1][1] <= 60_000


@pytest.mark.skipif(settings.BROKER_URL.startswith("stub:"), reason="needs BROKER_URL=redis://… (make test sets it)")
@override_settings(LEDGERLINE_ENGINE={**ENGINE, "RUN_LEASE_SECONDS": 60})
def test_a_flush_wakes_its_runs_through_a_real_worker_well_before_the_lease_deadline(
    worker: Any, make_workflow: Any, tmp_path: Path
) -> None:
    from engine.core.states import FINAL_RUN_STATES
    from tests.fixtures.engine import wait_for

    calls = tmp_path / "calls"
    workflow = make_workflow(
        chain(manual(), node("post", "test.batch", calls_file=str(calls)), node("after", "test.count"))
    )
    runs = [start_run(workflow_version=workflow.latest_version(), input={"ref": f"W{i}"})[0] for i in range(5)]
    # A run whose wake-up was missed would sit until its 60 s deadline.
    wait_for(
        lambda: Run.objects.filter(pk__in=[r.pk for r in runs], status__in=list(FINAL_RUN_STATES)).count() == 5,
        timeout=20,
        message="the batched runs to finish",
    )
    assert set(Run.objects.filter(pk__in=[r.pk for r in runs]).values_list("status", flat=True)) == {"succeeded"}
    assert sum(batch_sizes(calls)) == 5


def test_a_batch_answer_makes_only_its_waiting_runs_due(db: Any, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    runs = [start_run(workflow_version=workflow.latest_version(), input={"n": n})[0] for n in range(4)]
    later = timezone.now() + dt.timedelta(minutes=5)
    states = [RunStatus.WAITING, RunStatus.WAITING, RunStatus.RUNNING, RunStatus.SUCCEEDED]
    for run, status in zip(runs, states, strict=True):
        Run.objects.filter(pk=run.pk).update(status=status, wake_at=later)
    before = timezone.now()
    wake([runs[0].pk, runs[2].pk, runs[3].pk])
    wake_at = dict(Run.objects.filter(pk__in=[r.pk for r in runs]).values_list("pk", "wake_at"))
    assert wake_at[runs[0].pk] is not None and before <= wake_at[runs[0].pk] < later  # answered: due now
    assert wake_at[runs[1].pk] == later  # waiting, but not in this batch
    assert wake_at[runs[2].pk] == later and wake_at[runs[3].pk] == later  # not waiting: left alone
