"""Polling, schedules, webhooks and the stalled-run sweep."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from engine import scheduler
from engine.core.states import RunStatus
from engine.models import NodeState, Run, WebhookEndpoint
from engine.webhooks import webhook_secret
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, node


def write_events(path: Path, ids: list[str]) -> None:
    path.write_text(json.dumps([{"id": i} for i in ids]))


def test_polling_starts_one_run_per_event_and_moves_the_cursor_with_them(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    source = tmp_path / "events.json"
    write_events(source, ["a", "b", "c"])
    workflow = make_workflow(chain(node("poll", "test.poll", source=str(source), page=2), node("one", "test.count")))

    report = scheduler.tick()
    assert (report.polled, report.runs_started) == (1, 2)
    state = NodeState.objects.get(workflow=workflow, node_id="poll")
    assert state.data["cursor"] == {"position": 2}
    # More was waiting: the trigger is due again at once.
    assert scheduler.tick().runs_started == 1
    assert sorted(Run.objects.values_list("event_key", flat=True)) == ["a", "b", "c"]

    engine_inline.drive_all()
    assert set(Run.objects.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    assert Run.objects.get(event_key="b").input == {"id": "b"}


def test_a_poll_that_fails_moves_nothing(engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path) -> None:
    source = tmp_path / "events.json"
    source.write_text(json.dumps([{"id": "a"}, {"id": "b", "explode": True}]))
    workflow = make_workflow(chain(node("poll", "test.poll", source=str(source)), node("one", "test.count")))
    report = scheduler.tick()
    assert report.runs_started == 0 and len(report.errors) == 1
    state = NodeState.objects.get(workflow=workflow, node_id="poll")
    assert "cursor" not in state.data
    assert state.last_poll_error == "the source is down"
    assert Run.objects.count() == 0


def test_restarted_or_overlapping_polls_never_repeat_an_event(
    engine_inline: InlineEngine, make_workflow: Any, tmp_path: Path
) -> None:
    source = tmp_path / "events.json"
    write_events(source, ["a", "b"])
    workflow = make_workflow(chain(node("poll", "test.poll", source=str(source)), node("one", "test.count")))
    scheduler.tick()
    # Simulate a cursor that was lost (or an overlapping poll window): the same events come again.
    NodeState.objects.filter(workflow=workflow).update(data={}, next_poll_at=None)
    write_events(source, ["a", "b", "c"])
    report = scheduler.tick()
    assert report.runs_started == 1
    assert sorted(Run.objects.values_list("event_key", flat=True)) == ["a", "b", "c"]


def test_inactive_workflows_are_not_polled(make_workflow: Any, tmp_path: Path) -> None:
    source = tmp_path / "events.json"
    write_events(source, ["a"])
    make_workflow(chain(node("poll", "test.poll", source=str(source)), node("one", "test.count")), active=False)
    assert scheduler.tick().polled == 0


def test_schedules_fire_once_per_due_time(engine_inline: InlineEngine, make_workflow: Any) -> None:
    pytest.importorskip("connectors.builtin.nodes")
    workflow = make_workflow(
        chain(node("every", "builtin.trigger.schedule", cron="*/5 * * * *"), node("one", "test.count"))
    )
    now = timezone.now().replace(second=0, microsecond=0)
    assert scheduler.tick(now).schedules_fired == 0  # first sight: computes the next fire time
    due = NodeState.objects.get(workflow=workflow).next_poll_at
    assert due is not None and due > now
    assert scheduler.tick(due + dt.timedelta(seconds=1)).schedules_fired == 1
    assert scheduler.tick(due + dt.timedelta(seconds=2)).schedules_fired == 0
    run = Run.objects.get()
    assert run.input == {"scheduled_for": due.isoformat()}
    assert run.event_key == f"schedule:{due.isoformat()}"


def test_stalled_runs_are_resumed(engine_inline: InlineEngine, make_workflow: Any) -> None:
    from engine.services import start_run

    workflow = make_workflow(chain(node("hook", "test.webhook"), node("one", "test.count")))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={}, trigger_node_id="hook")
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    engine_inline.sent.clear()
    assert scheduler.resume_stalled_runs(timezone.now()) == 1
    assert engine_inline.sent == [(str(run.pk), 0)]


@pytest.mark.parametrize("status", [RunStatus.PENDING, RunStatus.WAITING, RunStatus.RUNNING])
def test_a_run_whose_worker_died_holding_its_lease_is_resumed_in_any_unfinished_state(
    engine_inline: InlineEngine, make_workflow: Any, status: RunStatus
) -> None:
    """A worker claims a pending run (or wakes a waiting one) and dies before its first write:
    the run keeps its old status with a lease that expires; the sweep must pick it up."""
    from engine.services import start_run

    workflow = make_workflow(chain(node("hook", "test.webhook"), node("one", "test.count")))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={}, trigger_node_id="hook")
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(
        status=status, lease_owner="dead-worker", lease_expires_at=now - dt.timedelta(seconds=1), wake_at=now
    )
    engine_inline.sent.clear()
    assert scheduler.resume_stalled_runs(now - dt.timedelta(seconds=2)) == 0  # the lease still held then
    assert scheduler.resume_stalled_runs(now) == 1
    assert engine_inline.sent == [(str(run.pk), 0)]
    engine_inline.drive(Run.objects.get(pk=run.pk))
    finished = Run.objects.get(pk=run.pk)
    assert (finished.status, finished.crash_count) == (RunStatus.SUCCEEDED, 1)


def test_webhook_deliveries_become_runs_once(engine_inline: InlineEngine, make_workflow: Any) -> None:
    workflow = make_workflow(chain(node("hook", "test.webhook"), node("one", "test.count")))
    endpoint = WebhookEndpoint.objects.get(workflow=workflow, node_id="hook")
    secret = webhook_secret(endpoint)
    client = Client()
    url = f"/hooks/{endpoint.token}/"

    first = client.post(url, {"id": 42}, content_type="application/json", headers={"X-Test-Secret": secret})
    again = client.post(url, {"id": 42}, content_type="application/json", headers={"X-Test-Secret": secret})
    assert first.status_code == 202 and again.status_code == 202
    assert first.json()["duplicates"] == 0 and again.json()["duplicates"] == 1
    assert first.json()["runs"] == again.json()["runs"]
    assert Run.objects.count() == 1

    assert (
        client.post(url, {"id": 1}, content_type="application/json", headers={"X-Test-Secret": "wrong"}).status_code
        == 401
    )
    assert client.post("/hooks/unknown/", {"id": 1}, content_type="application/json").status_code == 404
    assert client.get(url).status_code == 405
    workflow.active = False
    workflow.save()
    assert (
        client.post(url, {"id": 2}, content_type="application/json", headers={"X-Test-Secret": secret}).status_code
        == 409
    )
    assert Run.objects.count() == 1
