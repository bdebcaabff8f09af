"""Alert rules: each kind of incident, one alert per incident, resolution, delivery."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import responses
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.sdk.models import Connection
from engine.models import NodeState, Run
from engine.services import start_run
from monitoring.models import Alert, AlertRule
from monitoring.services import evaluate_rules
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node


def rule(org: Any, kind: str, **kwargs: Any) -> AlertRule:
    return AlertRule.objects.create(
        organization=org, name=f"{kind} rule", kind=kind, emails=["finance@acme.test"], **kwargs
    )


def fail_runs(engine_inline: InlineEngine, workflow: Any, count: int) -> None:
    for index in range(count):
        run, _ = start_run(workflow_version=workflow.latest_version(), input={"n": index})
        engine_inline.drive(run)


@pytest.fixture
def failing(make_workflow: Any) -> Any:
    return make_workflow(chain(manual(), node("bad", "test.flaky", failures=1, failure="permanent")), name="Invoices")


def test_one_incident_is_one_alert_until_it_is_resolved(engine_inline: InlineEngine, org: Any, failing: Any) -> None:
    rule(org, "dead_letter")
    fail_runs(engine_inline, failing, 2)
    first = evaluate_rules()
    second = evaluate_rules()
    assert (first.opened, second.opened, second.ongoing) == (1, 0, 1)
    assert len(mail.outbox) == 1
    assert "2 run(s) of 'Invoices' are in the dead-letter queue" in mail.outbox[0].subject
    alert = Alert.objects.get()
    assert alert.delivery == {"email": "sent"}

    Run.objects.update(resolution="discarded")
    assert evaluate_rules().resolved == 1
    assert Alert.objects.get().status == "resolved"
    fail_runs(engine_inline, failing, 1)
    assert evaluate_rules().opened == 1  # a new incident is a new alert
    assert len(mail.outbox) == 2


def test_failure_rate_over_a_window(engine_inline: InlineEngine, org: Any, failing: Any, make_workflow: Any) -> None:
    rule(org, "failure_rate", params={"threshold": 0.5, "window_minutes": 15, "min_runs": 3})
    fail_runs(engine_inline, failing, 2)
    assert evaluate_rules().opened == 0  # fewer runs than min_runs
    fail_runs(engine_inline, failing, 1)
    assert evaluate_rules().opened == 1
    assert "100% of the runs of 'Invoices' failed" in Alert.objects.get().message


def test_connections_needing_reauthorisation(org: Any) -> None:
    rule(org, "needs_reauth")
    Connection.objects.create(
        organization=org,
        kind="xero",
        name="Xero",
        base_url="https://api.xero.com",
        status="needs_reauth",
        status_detail="refresh token expired",
    )
    evaluate_rules()
    assert Alert.objects.get().message == "'Xero' needs to be authorised again: refresh token expired"


def test_open_circuit_breakers(org: Any) -> None:
    from connectors.sdk.handles import StoredConnection

    rule(org, "circuit_open")
    connection = Connection.objects.create(
        organization=org, kind="test.limited", name="Flaky API", base_url="https://x.example.com"
    )
    throttle = StoredConnection(connection).throttle()
    for _ in range(throttle.breaker.threshold):
        throttle.record_failure()
    evaluate_rules()
    assert Alert.objects.get().key == f"connection:{connection.pk}"


def test_polls_that_stopped_succeeding(org: Any, make_workflow: Any, tmp_path: Any) -> None:
    rule(org, "poll_stale", params={"minutes": 30})
    workflow = make_workflow(chain(node("poll", "test.poll", source=str(tmp_path / "x.json")), node("c", "test.count")))
    old = timezone.now() - dt.timedelta(hours=2)
    NodeState.objects.create(
        workflow=workflow, node_id="poll", last_poll_at=timezone.now(), last_success_at=old, last_poll_error="timeout"
    )
    evaluate_rules()
    assert "no successful poll of poll since" in Alert.objects.get().message


@responses.activate
def test_webhook_delivery_and_failures_are_recorded(engine_inline: InlineEngine, org: Any, failing: Any) -> None:
    responses.add(responses.POST, "https://hooks.acme.test/alerts", status=500)
    rule(org, "dead_letter", webhook_url="https://hooks.acme.test/alerts")
    fail_runs(engine_inline, failing, 1)
    evaluate_rules()
    assert Alert.objects.get().delivery == {"email": "sent", "webhook": "failed: HTTP 500"}
    assert responses.calls[0].request.body and b'"kind": "dead_letter"' in responses.calls[0].request.body


def test_rules_api_requires_a_way_to_reach_people(api: APIClient) -> None:
    refused = api.post("/api/alert-rules/", {"name": "DLQ", "kind": "dead_letter"}, format="json")
    assert refused.status_code == 400
    created = api.post(
        "/api/alert-rules/", {"name": "DLQ", "kind": "dead_letter", "emails": ["a@b.test"]}, format="json"
    )
    assert created.status_code == 201
    assert api.get("/api/alerts/?status=open").json()["count"] == 0
