"""Runs advanced together: shared commits, isolation of each run, due claims and nudge slots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engine import leases, nudges, runner, stepper
from engine.core.states import RunStatus
from engine.models import Run
from engine.services import cancel_run, start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node


def ledger_flow(make_workflow: Any, remote: Path) -> Any:
    return make_workflow(chain(manual(), node("one", "test.count"), node("effect", "test.ledger", remote=str(remote))))


def start(workflow: Any, ref: str) -> Run:
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": ref})
    return run


def run_updates(queries: CaptureQueriesContext) -> list[str]:
    table = Run._meta.db_table
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].upper().startswith("UPDATE") and (f'"{table}"' in q["sql"] or f" {table} " in q["sql"])
    ]


def test_runs_advanced_together_share_their_writes(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    workflow = ledger_flow(make_workflow, remote)
    runs = [start(workflow, f"R{i}") for i in range(6)]
    with CaptureQueriesContext(connection) as queries:
        assert runner.advance_due_runs(limit=10) == 6
    assert {r.status for r in Run.objects.filter(pk__in=[r.pk for r in runs])} == {RunStatus.SUCCEEDED}
    assert sorted(remote.read_text().splitlines()) == [f"R{i}" for i in range(6)]
    # One claim for all six, one write before their side effects, one at their end: not three per run.
    assert len(run_updates(queries)) == 3
    for run in Run.objects.filter(pk__in=[r.pk for r in runs]):
        seqs = list(run.events.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, run.last_seq + 1))  # each run's events stay gap-free


def test_a_run_cancelled_within_a_group_stops_alone(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    workflow = ledger_flow(make_workflow, remote)
    runs = [start(workflow, ref) for ref in ("A", "B", "C")]
    claimed = leases.claim_due("worker-1", 10)
    assert len(claimed) == 3
    cancel_run(Run.objects.get(pk=runs[1].pk))
    runner.advance_claimed(claimed, "worker-1")
    statuses = {run.pk: run.status for run in Run.objects.filter(pk__in=[r.pk for r in runs])}
    assert statuses == {runs[0].pk: "succeeded", runs[1].pk: "cancelled", runs[2].pk: "succeeded"}
    assert sorted(remote.read_text().splitlines()) == ["A", "C"]  # the cancelled run's effect never ran


def test_a_run_whose_step_raises_does_not_stop_the_others(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote"
    workflow = ledger_flow(make_workflow, remote)
    runs = [start(workflow, ref) for ref in ("A", "B")]
    original = runner.RunStepper.steps

    def breaks_for_b(self: runner.RunStepper) -> Any:
        if (self.run.input or {}).get("ref") == "B":
            raise RuntimeError("a bug in one run")
        yield from original(self)

    monkeypatch.setattr(runner.RunStepper, "steps", breaks_for_b)
    with pytest.raises(RuntimeError, match="a bug in one run"):
        runner.advance_due_runs(limit=10)  # raised after the others were written: the message is retried
    a, b = (Run.objects.get(pk=r.pk) for r in runs)
    assert a.status == "succeeded"
    assert b.status == "pending" and b.lease_owner == ""  # untouched, and free for the retry


@override_settings(LEDGERLINE_ENGINE={**settings.LEDGERLINE_ENGINE, "RUN_LEASE_SECONDS": 3})
def test_slow_side_effects_renew_the_leases_of_the_runs_after_them(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote"
    workflow = ledger_flow(make_workflow, remote)
    for ref in ("A", "B", "C"):
        start(workflow, ref)
    clock = [1000.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock[0])
    renewed: list[str] = []
    original_renew = leases.renew

    def renew(run_id: str, owner: str) -> bool:
        renewed.append(run_id)
        return original_renew(run_id, owner)

    monkeypatch.setattr(leases, "renew", renew)
    original_execute = stepper.execute_node

    def slow(node_type: Any, context: Any, item: Any) -> Any:
        if context.node_id == "effect":
            clock[0] += 2.0  # each side effect takes two thirds of the lease
        return original_execute(node_type, context, item)

    monkeypatch.setattr(stepper, "execute_node", slow)
    assert runner.advance_due_runs(limit=10) == 3
    assert len(renewed) == 2  # the second and third runs, each after a slow one before it
    assert sorted(remote.read_text().splitlines()) == ["A", "B", "C"]


def test_only_due_runs_are_claimed_and_each_by_one_worker(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    now = timezone.now()
    pending = start(workflow, "pending")
    later = start(workflow, "later")
    woken = start(workflow, "woken")
    held = start(workflow, "held")
    Run.objects.filter(pk=later.pk).update(status=RunStatus.WAITING, wake_at=now + dt.timedelta(minutes=5))
    Run.objects.filter(pk=woken.pk).update(status=RunStatus.WAITING, wake_at=now - dt.timedelta(seconds=1))
    Run.objects.filter(pk=held.pk).update(lease_owner="someone", lease_expires_at=now + dt.timedelta(minutes=1))
    first = leases.claim_due("worker-1", 10)
    assert {run.pk for run in first} == {pending.pk, woken.pk}
    assert all(hasattr(run, "claimed_organization_id") for run in first)
    assert leases.claim_due("worker-2", 10) == []  # the same runs are not claimed twice


@override_settings(LEDGERLINE_ENGINE={**settings.LEDGERLINE_ENGINE, "NUDGE_SLOTS": 2})
def test_nudge_slots_limit_the_waiting_nudges_and_free_as_they_start(db: Any) -> None:
    nudges.free_all()
    first, second = nudges.take_slot(), nudges.take_slot()
    assert {first, second} == {0, 1}
    assert nudges.take_slot() == -1  # two nudges wait already: a third due run is covered by them
    nudges.free_slot(first)
    assert nudges.take_slot() == first
    nudges.free_all()


def test_a_memory_slot_taken_by_a_lost_nudge_frees_itself() -> None:
    slots = nudges._MemorySlots()
    assert slots.take(1, ttl=60) == 0
    assert slots.take(1, ttl=60) == -1
    expired = nudges._MemorySlots()
    assert expired.take(1, ttl=0) == 0
    assert expired.take(1, ttl=0) == 0  # its message was lost: the slot did not stay taken


@pytest.mark.parametrize(("runs", "expected"), [(1, ["run-0"]), (2, ["due"]), (25, ["due"]), (26, ["due", "due"])])
def test_runs_due_together_are_announced_once_per_group(runs: int, expected: list[str]) -> None:
    from engine.dispatch import enqueue_runs, replace_sender

    sent: list[str] = []
    with (
        override_settings(LEDGERLINE_ENGINE={**settings.LEDGERLINE_ENGINE, "GROUP_SIZE": 25}),
        replace_sender(lambda kind, argument, delay: sent.append(argument if kind == "run" else kind)),
    ):
        enqueue_runs([f"run-{n}" for n in range(runs)], on_commit=False)
    assert sent == expected
