"""The lean hot path: events published together, fewer round trips, the webhook ack path."""

from __future__ import annotations

import asyncio
from typing import Any

from engine import events


class RecordingLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


def event(event_id: int, run: str, seq: int, workflow: str = "w") -> dict[str, Any]:
    return {"id": event_id, "seq": seq, "run_id": run, "workflow_id": workflow, "type": "node.succeeded"}


def test_events_committed_together_go_as_one_send_per_workflow_in_order() -> None:
    layer = RecordingLayer()
    messages = [event(3, "a", 2), event(1, "a", 1), event(2, "b", 1)]
    messages += [event(4, "c", 1, workflow="v")]
    asyncio.run(events._send_all(layer, messages))
    by_group = dict(layer.sent)
    assert len(layer.sent) == 2  # one send per workflow: not one per event, nor one more per run
    assert [e["id"] for e in by_group["workflow.w"]["events"]] == [1, 2, 3]
    assert by_group["workflow.v"] == {"type": "run.event", "event": event(4, "c", 1, workflow="v")}


def test_a_webhook_delivery_is_one_read_and_one_write(engine_inline: Any, make_workflow: Any) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from engine.models import Run, WebhookEndpoint
    from engine.webhooks import webhook_secret
    from tests.support.flows import chain, node

    workflow = make_workflow(chain(node("hook", "test.webhook"), node("one", "test.count")))
    endpoint = WebhookEndpoint.objects.get(workflow=workflow, node_id="hook")
    headers = {"X-Test-Secret": webhook_secret(endpoint)}
    client = Client()
    url = f"/hooks/{endpoint.token}/"
    assert client.post(url, {"id": 1}, content_type="application/json", headers=headers).status_code == 202
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(url, {"id": 2}, content_type="application/json", headers=headers)
    assert answer.status_code == 202
    # (The test's own transaction turns the run's into a savepoint.)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    statements = [s for s in statements if s not in {"SAVEPOINT", "RELEASE"}]
    # The endpoint with its workflow and latest version (whose document this process has read once),
    # then the run and its first event in one statement: no sequence allocation, no second read.
    assert statements == ["SELECT", "WITH"]
    assert [q["sql"].count("INSERT INTO") for q in queries.captured_queries if q["sql"].startswith("WITH")] == [2]
    run = Run.objects.get(pk=answer.json()["runs"][0])
    assert run.last_seq == 1 and list(run.events.values_list("seq", "type")) == [(1, "run.created")]


def test_a_run_with_a_side_effect_writes_once_before_it_and_once_at_the_end(
    engine_inline: Any, make_workflow: Any, tmp_path: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine import runner
    from engine.models import Run
    from engine.services import start_run
    from tests.support.flows import chain, manual, node

    remote = tmp_path / "remote"
    workflow = make_workflow(
        chain(manual(), node("one", "test.count"), node("effect", "test.ledger", remote=str(remote)))
    )
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": "R1"})
    with CaptureQueriesContext(connection) as queries:
        runner.advance_run(str(run.pk))
    run.refresh_from_db()
    assert run.status == "succeeded"
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("UPDATE")]
    # The claim (with the run row), the start of the side effect (with the lease renewed and the
    # events' numbers), the end (with the effect's success): no separate renew or seq allocation.
    run_updates = [sql for sql in updates if f'"{Run._meta.db_table}"' in sql or f" {Run._meta.db_table} " in sql]
    assert len(run_updates) == 3, run_updates
    seqs = list(run.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, run.last_seq + 1))
    assert [e for e in run.events.order_by("seq").values_list("type", "node_id")][-2:] == [
        ("node.succeeded", "effect"),
        ("run.succeeded", ""),
    ]


def test_a_cancelled_run_does_not_start_its_side_effect(engine_inline: Any, make_workflow: Any, tmp_path: Any) -> None:
    from engine import leases
    from engine.models import Run
    from engine.runner import RunStepper
    from engine.services import cancel_run, start_run
    from tests.support.flows import chain, manual, node

    remote = tmp_path / "remote"
    workflow = make_workflow(chain(manual(), node("effect", "test.ledger", remote=str(remote))))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": "R1"})
    claimed, _ = leases.claim_and_load(str(run.pk), "me")
    assert claimed is not None
    cancel_run(Run.objects.get(pk=run.pk))
    RunStepper(claimed, "me").advance()
    assert not remote.exists()  # the start's write saw the cancel: the effect never ran
    assert Run.objects.get(pk=run.pk).status == "cancelled"


def test_connections_are_checked_every_few_seconds_and_after_an_error(db: Any) -> None:
    from django.db import connection

    from engine.db import CHECK_EVERY_SECONDS, refresh_connections

    connection.ensure_connection()
    refresh_connections(now=1000.0)
    assert not refresh_connections(now=1000.0 + CHECK_EVERY_SECONDS / 2)
    connection.errors_occurred = True
    try:
        assert refresh_connections(now=1000.0 + CHECK_EVERY_SECONDS / 2)
    finally:
        connection.errors_occurred = False
    assert refresh_connections(now=1000.0 + 2 * CHECK_EVERY_SECONDS)


def test_tables_updated_soon_after_they_are_written_leave_room_in_their_pages(db: Any) -> None:
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a storage parameter of PostgreSQL")
    from importlib import import_module

    expected = import_module("engine.migrations.0010_room_for_updates").FILL_FACTORS
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(expected)])
        found = dict(cursor.fetchall())
    assert found == {table: [f"fillfactor={percent}"] for table, percent in expected.items()}
