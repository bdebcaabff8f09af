"""One flush per batch key at a time: a backlog goes out as full batches, never split by a second flush."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from engine import batching, pacing, runner
from engine.models import BatchItem, Run
from engine.services import start_run
from tests.fixtures.engine import BATCHING_ENGINE, InlineEngine
from tests.support.flows import chain, manual, node
from tests.support.nodes_app.nodes import BatchRecordNode

ENGINE = BATCHING_ENGINE


def park_many(workflow: Any, count: int, prefix: str = "PO") -> list[Run]:
    runs = []
    for i in range(count):
        run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": f"{prefix}-{i}"})
        runner.advance_run(str(run.pk))
        runs.append(run)
    return runs


def batch_sizes(calls: Path) -> list[int]:
    return [int(line) for line in calls.read_text().splitlines()] if calls.exists() else []


@pytest.mark.parametrize("locks", [pacing._MemoryLocks, None], ids=["memory", "configured"])
def test_a_flush_lock_has_one_holder_until_its_owner_releases_it(locks: Any) -> None:
    store = locks() if locks else pacing._locks()  # the configured one: Redis when the suite runs on Redis
    key = f"lock-{uuid.uuid4().hex}"
    assert store.acquire(key, "a", ttl=30)
    assert not store.acquire(key, "b", ttl=30)
    store.release(key, "b")  # not the owner: nothing happens
    assert not store.acquire(key, "b", ttl=30)
    store.release(key, "a")
    assert store.acquire(key, "b", ttl=30)
    store.release(key, "b")


def test_a_lock_whose_holder_died_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    store = pacing._MemoryLocks()
    now = [1000.0]
    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    assert store.acquire("k", "dead", ttl=60)
    now[0] += 59
    assert not store.acquire("k", "next", ttl=60)
    now[0] += 2
    assert store.acquire("k", "next", ttl=60)


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_a_flush_while_another_flush_of_the_key_sends_claims_nothing_and_comes_back(
    engine_inline: InlineEngine,
    make_workflow: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The flush message that arrives while the first is sending (another worker) leaves the backlog alone."""
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    park_many(workflow, 7)  # test.batch carries at most 3
    [key] = set(BatchItem.objects.values_list("batch_key", flat=True))
    monkeypatch.setattr(pacing, "budget_of", lambda context: (0.0, False))

    def flush_when_due(key: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):  # outside a test, no transaction is open
            return batching.flush_when_due(key)

    during: list[tuple[int, int]] = []
    send = BatchRecordNode.execute_batch

    def send_and_meanwhile_flush_again(self: Any, batch: Any) -> list[Any]:
        if not during:  # the first batch is on its way: a second flush message of the same key arrives
            engine_inline.flushes.clear()
            during.append((flush_when_due(key), BatchItem.objects.filter(status="pending").count()))
        return send(self, batch)

    monkeypatch.setattr(BatchRecordNode, "execute_batch", send_and_meanwhile_flush_again)
    # The first flush sends both full batches, one after the other under its lock.
    assert flush_when_due(key) == 6
    # The second flush sent nothing and left the four other calls parked…
    assert during == [(0, 4)]
    assert batch_sizes(calls) == [3, 3]
    assert BatchItem.objects.filter(status="pending").count() == 1  # waits for its window to fill up
    # …and asked for no message: the first flush, done, comes back when that window ends.
    assert [(k, delay > 0) for k, delay in engine_inline.flushes] == [(key, True)]


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_calls_parked_while_a_flush_sends_wait_for_its_next_schedule_not_for_messages_of_their_own(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    park_many(workflow, 3)
    [key] = set(BatchItem.objects.values_list("batch_key", flat=True))
    monkeypatch.setattr(pacing, "budget_of", lambda context: (0.0, False))
    asked: list[tuple[float, bool]] = []

    def decide_now(key: str, delay: float) -> None:  # as after each commit (none happens in a test transaction)
        asked.append((delay, pacing.send_unless_due(key, delay)))

    monkeypatch.setattr(pacing, "schedule_flush", decide_now)
    send = BatchRecordNode.execute_batch

    def send_while_more_are_parked(self: Any, batch: Any) -> list[Any]:
        if not asked:
            park_many(workflow, 2, prefix="LATE")  # two runs park while the batch is on its way
        return send(self, batch)

    monkeypatch.setattr(BatchRecordNode, "execute_batch", send_while_more_are_parked)
    engine_inline.flushes.clear()
    assert batching.flush_when_due(key) == 3
    # The two parked calls asked for a flush and sent nothing: the running flush's mark covered them.
    assert [sent for _, sent in asked[:2]] == [False, False]
    assert not pacing.flush_is_running(key)
    # Its last look saw them and scheduled their flush: one message, after their window.
    assert asked[2][1] is True and len(asked) == 3
    assert [(k, delay > 0) for k, delay in engine_inline.flushes] == [(key, True)]
    assert BatchItem.objects.filter(status="pending").count() == 2


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_flush_sends_nothing_while_the_key_is_locked(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    workflow = make_workflow(chain(manual(), node("post", "test.batch", calls_file=str(calls))))
    park_many(workflow, 6)
    [key] = set(BatchItem.objects.values_list("batch_key", flat=True))
    with pacing.flush_lock(key) as held:
        assert held
        with pacing.flush_lock(key) as second:
            assert not second
        assert batching.flush(key) == 0
        assert BatchItem.objects.filter(status="pending").count() == 6
    assert engine_inline.flush_batches() == [3, 3]
    assert batch_sizes(calls) == [3, 3]


@override_settings(LEDGERLINE_ENGINE=ENGINE)
def test_a_flush_refused_by_the_lock_leaves_a_flush_coming(engine_inline: InlineEngine) -> None:
    key = f"refused-{uuid.uuid4().hex}"
    assert pacing.send_unless_due(key, 0.2)  # the message a parked call asked for
    engine_inline.flushes.clear()
    with pacing.flush_lock(key) as alone:  # another flush is sending this key's batch
        assert alone
        assert batching.flush_when_due(key) == 0  # that message arrives and is refused
    # Its message is spent; had it left the mark, the holder's next schedule would see a flush
    # "pending" that no message carries, and the backlog would wait for ever.
    assert [argument for argument, _ in engine_inline.flushes] == [key]
