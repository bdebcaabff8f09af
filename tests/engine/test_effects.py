"""The effect ledger: a side effect is applied once, also across crashes, retries and replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from engine.core.states import RunStatus
from engine.models import Effect
from engine.services import replay_from, retry_run, start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node


def test_crash_between_remote_call_and_commit_is_reconciled_not_repeated(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    workflow = make_workflow(chain(manual(), node("create", "test.ledger", remote=str(remote), crash_after_call=True)))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": "PO-1"})
    run = engine_inline.drive(run)

    assert run.status == RunStatus.SUCCEEDED
    assert remote.read_text().splitlines() == ["PO-1"]
    assert run.node_runs.get(node_id="create").output == {"out": {"ref": "PO-1", "reconciled": True}}
    effect = Effect.objects.get()
    assert (effect.status, effect.attempts, effect.remote_id) == ("applied", 2, "PO-1")


def test_retried_and_replayed_runs_reuse_the_recorded_effect(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    workflow = make_workflow(chain(manual(), node("create", "test.ledger", remote=str(remote))))
    first, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": "PO-2"})
    first = engine_inline.drive(first)
    again = engine_inline.drive(retry_run(first))
    replayed = engine_inline.drive(replay_from(first, "create"))

    assert [r.status for r in (first, again, replayed)] == ["succeeded"] * 3
    assert remote.read_text().splitlines() == ["PO-2"]
    assert Effect.objects.count() == 1
    assert again.node_runs.get(node_id="create").output == first.node_runs.get(node_id="create").output


def test_effects_are_keyed_by_business_key(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    workflow = make_workflow(chain(manual(), node("create", "test.ledger", remote=str(remote))))
    for ref in ("A", "B", "A"):
        run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": ref})
        engine_inline.drive(run)
    assert remote.read_text().splitlines() == ["A", "B"]
    assert sorted(Effect.objects.values_list("business_key", flat=True)) == ["A", "B"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_every_index_of_the_ledger_serves_a_lookup(db: Any) -> None:
    """Each index is one more write per entry and per update; none repeats another."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'engine_effect'")
        columns = sorted(row[0].split(" USING btree ")[1] for row in cursor.fetchall())
    assert columns == ["(first_run_id)", "(key)", "(last_run_id)", "(workflow_id, kind, business_key)"]
