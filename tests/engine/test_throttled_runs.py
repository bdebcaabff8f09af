"""Runs wait for a connection's shared budget instead of failing or holding a worker."""

from __future__ import annotations

from typing import Any

from connectors.sdk.models import Connection
from engine import runner
from engine.core.states import RunStatus
from engine.services import start_run
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node


def test_a_spent_budget_makes_runs_wait_without_using_attempts(
    engine_inline: InlineEngine, make_workflow: Any, org: Any
) -> None:
    connection = Connection.objects.create(
        organization=org, kind="test.limited", name="Limited", base_url="https://limited.example.com"
    )
    workflow = make_workflow(chain(manual(), node("call", "test.limited_call", connection=str(connection.pk))))
    runs = []
    for index in range(3):
        run, _ = start_run(workflow_version=workflow.latest_version(), input={"n": index})
        runner.advance_run(str(run.pk))
        run.refresh_from_db()
        runs.append(run)

    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.WAITING]
    waiting = runs[2].node_runs.get(node_id="call")
    assert (waiting.status, waiting.attempts, waiting.waits) == ("retrying", 0, 1)
    assert waiting.error["code"] == "rate_budget"
    assert 55 <= engine_inline.sent[-1][1] / 1000 <= 60
