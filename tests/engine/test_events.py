"""Run events: what is stored is what is published, in order, with the ids the database gave."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from engine import events
from engine.events import record_run_events, serialize_event
from engine.models import Run, RunEvent
from engine.services import start_run
from tests.support.flows import chain, manual, node


def two_runs(make_workflow: Any) -> list[Run]:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    return [start_run(workflow_version=workflow.latest_version(), input={"ref": ref})[0] for ref in ("A", "B")]


def test_published_messages_are_the_stored_events_as_the_api_serialises_them(
    db: Any, make_workflow: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(events, "publish", published.extend)
    first, second = two_runs(make_workflow)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record_run_events(
            [
                (first, [("node.started", "one", {"attempt": 1}), ("node.succeeded", "one", {"amount": "12.50"})]),
                (second, []),
                (second, [("run.waiting", "", {"until": "2026-12-05T10:00:00+00:00"})]),
            ]
        )
    stored = RunEvent.objects.filter(run__in=[first, second]).exclude(type="run.created").order_by("id")
    assert published == [serialize_event(event) for event in stored]
    assert [(m["run_id"], m["seq"], m["type"]) for m in published] == [
        (str(first.pk), 2, "node.started"),
        (str(first.pk), 3, "node.succeeded"),
        (str(second.pk), 2, "run.waiting"),
    ]
    assert [m["id"] for m in published] == sorted(m["id"] for m in published) and published[0]["id"] is not None
    assert published[1]["payload"] == {"amount": "12.50"} and published[2]["node_id"] is None
    first.refresh_from_db()
    assert first.last_seq == 3  # the sequence numbers were reserved on the run row


def test_nothing_is_published_when_the_transaction_rolls_back(
    db: Any, make_workflow: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(events, "publish", published.extend)
    run = two_runs(make_workflow)[0]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        record_run_events([(run, [("node.started", "one", {"attempt": 1})])])
        raise RuntimeError("the state change failed")
    assert published == []
    assert not RunEvent.objects.filter(run=run, type="node.started").exists()


def test_a_new_event_row_writes_every_column_but_its_id() -> None:
    from engine.events import _EVENT_FIELDS

    columns = {field.attname for field in RunEvent._meta.concrete_fields if not field.primary_key}
    assert {field.attname for field in _EVENT_FIELDS} == columns
