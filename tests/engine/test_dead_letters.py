"""The dead-letter queue: reasons, edit-and-replay, discard, bulk replay that is safe twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

from engine.core.states import RunStatus
from engine.models import Effect, Run
from engine.services import start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node


def failed_runs(engine_inline: InlineEngine, workflow: Any, refs: list[str]) -> list[Run]:
    runs = []
    for ref in refs:
        run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": ref})
        runs.append(engine_inline.drive(run))
    return runs


def test_failed_runs_are_listed_with_a_human_reason_and_the_failing_input(
    api: APIClient, engine_inline: InlineEngine, make_workflow: Any
) -> None:
    workflow = make_workflow(chain(manual(), node("check", "test.flaky", failures=1, failure="permanent")))
    [run] = failed_runs(engine_inline, workflow, ["A"])
    listed = api.get("/api/dead-letters/").json()["results"]
    assert [(e["id"], e["node_id"], e["reason"]) for e in listed] == [
        (str(run.pk), "check", "node check: the item is wrong")
    ]
    assert listed[0]["failed_input"] == {"ref": "A"}
    assert listed[0]["error"]["field"] == "input.sku"


def test_edit_the_input_and_replay(
    api: APIClient, engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    workflow = make_workflow(chain(manual(), node("create", "test.ledger", remote=str(remote), reject="bad")))
    [run] = failed_runs(engine_inline, workflow, ["bad"])
    assert api.get("/api/dead-letters/").json()["results"][0]["failed_input"] == {"ref": "bad"}
    response = api.post(f"/api/dead-letters/{run.pk}/replay/", {"input": {"ref": "fixed"}}, format="json")
    assert response.status_code == 201
    replay = engine_inline.drive(Run.objects.get(pk=response.json()["id"]))
    assert replay.status == RunStatus.SUCCEEDED
    assert remote.read_text().splitlines() == ["fixed"]
    assert api.get("/api/dead-letters/").json()["count"] == 0
    again = api.post(f"/api/dead-letters/{run.pk}/replay/", {}, format="json")
    assert again.status_code == 404


def test_discard_needs_a_note(api: APIClient, engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(manual(), node("check", "test.flaky", failures=1, failure="permanent")))
    [run] = failed_runs(engine_inline, workflow, ["A"])
    assert api.post(f"/api/dead-letters/{run.pk}/discard/", {"note": " "}, format="json").status_code in (400, 409)
    assert (
        api.post(f"/api/dead-letters/{run.pk}/discard/", {"note": "duplicate test order"}, format="json").status_code
        == 204
    )
    run.refresh_from_db()
    assert (run.resolution, run.resolution_note, run.resolved_by) == ("discarded", "duplicate test order", "analyst")


def test_bulk_replay_is_safe_to_run_twice(
    api: APIClient, engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    remote, gate = tmp_path / "remote", tmp_path / "open"
    workflow = make_workflow(
        chain(
            manual(),
            node("create", "test.ledger", remote=str(remote)),
            node("gate", "test.gate", open_file=str(gate), timeout=0),
        )
    )
    runs = failed_runs(engine_inline, workflow, [f"PO-{i}" for i in range(5)])
    assert {r.status for r in runs} == {RunStatus.FAILED}
    gate.write_text("")

    first = api.post("/api/dead-letters/replay/", {"workflow": str(workflow.pk)}, format="json").json()
    second = api.post("/api/dead-letters/replay/", {"workflow": str(workflow.pk)}, format="json").json()
    assert (len(first["replayed"]), first["skipped"]) == (5, 0)
    assert second == {"replayed": [], "skipped": 5}
    engine_inline.drive_all()
    replays = Run.objects.filter(replay_from_node="gate")
    assert replays.count() == 5 and {r.status for r in replays} == {RunStatus.SUCCEEDED}
    assert sorted(remote.read_text().splitlines()) == [f"PO-{i}" for i in range(5)]
    assert Effect.objects.count() == 5
