"""Many rows in one statement (engine.db): values round-trip, and the text does not depend on the row count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.pq import Format

from engine.db import insert_rows, instances, selected_columns, update_from_values
from engine.models import Run, RunEvent
from engine.services import start_run
from tests.support.flows import chain, manual, node

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="statements of PostgreSQL only")

EVENT_FIELDS = [field for field in RunEvent._meta.concrete_fields if not field.primary_key]


def a_run(make_workflow: Any) -> Run:
    workflow = make_workflow(chain(manual(), node("one", "test.count")))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"ref": "R"})
    return run


def events_of(run: Run, count: int, first_seq: int) -> list[RunEvent]:
    at = timezone.now().replace(microsecond=123456)
    return [
        RunEvent(
            run=run,
            workflow_id=run.workflow_id,
            seq=first_seq + n,
            type="node.succeeded",
            node_id=f"n{n}",
            payload={"output": {"amount": "12.50", "nested": [n, None, 'é "quoted" \\ ✓']}, "empty": {}},
            at=at + dt.timedelta(seconds=n),
        )
        for n in range(count)
    ]


def test_inserted_rows_get_their_ids_in_order_and_keep_every_value(db: Any, make_workflow: Any) -> None:
    run = a_run(make_workflow)
    events = events_of(run, 30, first_seq=100)
    insert_rows(RunEvent, events, EVENT_FIELDS)
    stored = {e.pk: e for e in RunEvent.objects.filter(pk__in=[e.pk for e in events])}
    assert len(stored) == 30
    for event in events:
        again = stored[event.pk]
        fields = ("seq", "node_id", "payload", "at")
        assert [getattr(again, name) for name in fields] == [getattr(event, name) for name in fields]


def test_updated_rows_each_take_their_own_values_and_the_guard(db: Any, make_workflow: Any) -> None:
    run = a_run(make_workflow)
    events = events_of(run, 3, first_seq=100)
    insert_rows(RunEvent, events, EVENT_FIELDS)
    fields = [RunEvent._meta.get_field("type"), RunEvent._meta.get_field("payload")]
    rows = [[events[0].pk, "run.succeeded", {"n": 0}], [events[1].pk, "run.failed", ["a", 1]], [events[2].pk, "x", {}]]
    guard = "t.id = v.id AND t.seq < %s"
    changed = update_from_values(
        RunEvent, [("id", "bigint")], fields, rows, where=guard, where_params=[102], returning="t.id"
    )
    assert sorted(pk for (pk,) in changed) == [events[0].pk, events[1].pk]  # the guard held the third back
    stored = {e.pk: (e.type, e.payload) for e in RunEvent.objects.filter(pk__in=[e.pk for e in events])}
    assert stored == {
        events[0].pk: ("run.succeeded", {"n": 0}),
        events[1].pk: ("run.failed", ["a", 1]),
        events[2].pk: ("node.succeeded", events[2].payload),
    }


def test_the_statement_is_the_same_text_for_any_number_of_rows(db: Any, make_workflow: Any) -> None:
    """So the driver parses it once and the server can keep it prepared."""
    run = a_run(make_workflow)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(RunEvent, events_of(run, 1, first_seq=100), EVENT_FIELDS)
        insert_rows(RunEvent, events_of(run, 25, first_seq=200), EVENT_FIELDS)
    one, many = (q["sql"] for q in queries.captured_queries)
    assert one.split(" FROM ")[0] == many.split(" FROM ")[0]
    assert "jsonb_to_recordset" in one


def test_large_integers_amounts_and_numeric_keys_round_trip(db: Any, make_workflow: Any) -> None:
    from decimal import Decimal

    run = a_run(make_workflow)
    events = events_of(run, 1, first_seq=100)
    events[0].payload = {"big": 2**70, "amount": Decimal("12.50"), 3: "a number as key"}
    insert_rows(RunEvent, events, EVENT_FIELDS)
    assert RunEvent.objects.get(pk=events[0].pk).payload == {"big": 2**70, "amount": "12.50", "3": "a number as key"}


def test_instances_read_back_every_field_as_the_orm_does(db: Any, make_workflow: Any) -> None:
    run = a_run(make_workflow)
    Run.objects.filter(pk=run.pk).update(
        input={"amount": "12.50", "lines": [1, None]}, error=None, wake_at=timezone.now(), crash_count=2
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected_columns(Run, 'r')}, 7 FROM engine_run AS r WHERE r.id = %s", [run.pk])
        [loaded] = instances(Run, cursor.fetchall(), ["extra_column"])
    expected = Run.objects.get(pk=run.pk)
    for field in Run._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.extra_column == 7  # type: ignore[attr-defined]
    assert loaded._state.adding is False


def test_timestamps_keep_their_instant_and_come_back_in_the_connections_time_zone(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2024-02-29 23:59:59.123456+05:30'::timestamptz, '0001-01-01 00:00:00+00'::timestamptz")
        leap, earliest = cursor.fetchone()
    assert leap == dt.datetime(2024, 2, 29, 18, 29, 59, 123456, tzinfo=dt.UTC)
    assert leap.tzinfo is connection.timezone
    assert earliest == dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    loader = connection.connection.adapters.get_loader(1184, Format.TEXT)
    assert loader.__module__ == "engine.db"  # the compiled parser is in use
