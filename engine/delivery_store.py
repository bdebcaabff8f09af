"""Storing webhook deliveries in groups: one endpoint query, one statement for all their runs.

:func:`store_deliveries` checks each delivery against its endpoint and trigger
on its own (:func:`engine.webhooks.check_delivery`), then inserts every new run
with its ``run.created`` event in one statement (``ON CONFLICT DO NOTHING`` on
the event-key constraint: a repeated delivery creates nothing). A delivery its
trigger refuses is answered with its status and stores nothing; if the group's
statement fails, each delivery is stored again on its own
(:func:`engine.webhooks.receive_delivery`), so one bad delivery fails alone.
Databases other than PostgreSQL store each delivery on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import TriggerEvent, WebhookRequest
from engine import events, versions
from engine.core.jsonsafe import to_json
from engine.dispatch import enqueue_runs
from engine.models import Run, RunEvent, WebhookEndpoint
from engine.webhooks import EndpointState, check_delivery, receive_delivery

logger = logging.getLogger(__name__)

#: The most deliveries one group stores.
MAX_GROUP = 200


@dataclass(frozen=True)
class Delivery:
    token: str
    request: WebhookRequest


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @classmethod
    def rejected(cls, status: int, detail: str) -> Answer:
        return cls(status, {"detail": detail})

    @classmethod
    def accepted(cls, run_ids: Sequence[str], duplicates: int) -> Answer:
        return cls(202, {"runs": list(run_ids), "duplicates": duplicates})


NOT_JSON = "the body is not valid JSON"
FAILED = "the delivery could not be stored; deliver it again"


def receive_one(delivery: Delivery) -> Answer:
    """Store one delivery on its own (:func:`engine.webhooks.receive_delivery`) and say how to answer it."""
    try:
        runs, duplicates = receive_delivery(delivery.token, delivery.request)
    except WebhookRejected as exc:
        return Answer.rejected(exc.status, exc.message)
    except json.JSONDecodeError:
        return Answer.rejected(400, NOT_JSON)
    return Answer.accepted([str(run.pk) for run in runs], duplicates)


# --- storing a group of deliveries (PostgreSQL) ------------------------------------------------


@dataclass
class _Planned:
    """A delivery its trigger accepted: the runs it asks for (``event_key`` may repeat an earlier run's)."""

    index: int
    workflow_id: uuid.UUID
    version: Any
    node_id: str
    events: list[TriggerEvent]
    run_ids: list[uuid.UUID] = field(default_factory=list)


def _column(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).column)


def _endpoints_sql() -> str:
    from django.db.models import Model

    workflow: type[Model] = WebhookEndpoint._meta.get_field("workflow").related_model  # type: ignore[assignment]
    version = versions.version_model()
    e, w, v = WebhookEndpoint._meta.db_table, workflow._meta.db_table, version._meta.db_table
    v_workflow, v_number, v_created = (_column(version, n) for n in ("workflow", "number", "created_at"))
    # Table and column names come from the models, not from input.
    return (
        f"SELECT e.{_column(WebhookEndpoint, 'token')}, e.{_column(WebhookEndpoint, 'node_id')}, "  # noqa: S608
        f"e.{_column(WebhookEndpoint, 'secret_encrypted')}, w.{_column(workflow, 'id')}, "
        f"w.{_column(workflow, 'active')}, w.{_column(workflow, 'is_template')}, lv.id, lv.created_at "
        f"FROM {e} e JOIN {w} w ON w.{_column(workflow, 'id')} = e.{_column(WebhookEndpoint, 'workflow')} "
        f"LEFT JOIN LATERAL (SELECT {_column(version, 'id')} AS id, {v_created} AS created_at FROM {v} "
        f"WHERE {v_workflow} = w.{_column(workflow, 'id')} ORDER BY {v_number} DESC LIMIT 1) lv ON TRUE "
        f"WHERE e.{_column(WebhookEndpoint, 'token')} = ANY(%s)"
    )


_sql_cache: dict[str, str] = {}


def _sql(name: str, build: Callable[[], str]) -> str:
    found = _sql_cache.get(name)
    if found is None:
        found = _sql_cache[name] = build()
    return found


def _load_endpoints(tokens: Iterable[str]) -> dict[str, EndpointState]:
    """The endpoints of ``tokens`` with their workflow's state and latest version: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("endpoints", _endpoints_sql), [list(tokens)])
        rows = cursor.fetchall()
    return {row[0]: EndpointState(*row[1:]) for row in rows}


#: Run columns every new run sets; the others take their model default.
_RUN_VALUES = (
    "id",
    "workflow_id",
    "workflow_version_id",
    "trigger_node_id",
    "event_key",
    "input",
    "triggered_by",
    "created_at",
    "last_seq",
)


def _run_fields() -> list[Any]:
    return list(Run._meta.concrete_fields)


def _insert_sql(rows: int) -> str:
    fields = _run_fields()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    run_values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    event_values = ", ".join(["(%s::uuid, %s::jsonb)"] * rows)
    run_id, run_workflow = _column(Run, "id"), _column(Run, "workflow")
    ev = {name: _column(RunEvent, name) for name in ("run", "workflow", "seq", "type", "node_id", "payload", "at")}
    constraint = [_column(Run, name) for name in ("workflow", "trigger_node_id", "event_key")]
    # Table and column names come from the models; every value is a parameter.
    return (
        f"WITH new_runs AS (INSERT INTO {Run._meta.db_table} ({columns}) VALUES {run_values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(constraint)}) WHERE {constraint[2]} IS NOT NULL DO NOTHING "
        f"RETURNING {run_id} AS id, {run_workflow} AS workflow_id), "
        f"new_events AS (INSERT INTO {RunEvent._meta.db_table} "
        f"({ev['run']}, {ev['workflow']}, {ev['seq']}, {ev['type']}, {ev['node_id']}, {ev['payload']}, {ev['at']}) "
        f"SELECT r.id, r.workflow_id, 1, %s, '', e.payload, %s FROM new_runs r "
        f"JOIN (VALUES {event_values}) AS e (run_id, payload) ON e.run_id = r.id "
        f"RETURNING {RunEvent._meta.pk.column}, {ev['run']}) "
        f"SELECT {ev['run']}, {RunEvent._meta.pk.column} FROM new_events"
    )


def _duplicates_sql(rows: int) -> str:
    keys = ", ".join(["(%s::uuid, %s, %s)"] * rows)
    names = [_column(Run, n) for n in ("workflow", "trigger_node_id", "event_key")]
    return (
        f"SELECT {_column(Run, 'id')}, {', '.join(names)} FROM {Run._meta.db_table} "  # noqa: S608
        f"WHERE ({', '.join(names)}) IN ({keys})"
    )


_Inserted = tuple[dict[uuid.UUID, int], dict[tuple[str, str, str], uuid.UUID], dt.datetime]


def _store_planned(planned: list[_Planned]) -> _Inserted:
    """Insert the planned runs and their first events in one statement.

    Returns the new runs (id → its event's id), for the event keys that
    already had a run that run's id, and the time the runs were stored.
    """
    fields = _run_fields()
    now = timezone.now()
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection=connection)
        for f in fields
        if f.attname not in _RUN_VALUES
    }
    run_params: list[Any] = []
    event_params: list[Any] = []
    rows = 0
    for plan in planned:
        event_payload = json.dumps({"trigger_node_id": plan.node_id, "version": plan.version.number})
        for event in plan.events:
            run_id = uuid.uuid4()
            plan.run_ids.append(run_id)
            values = {
                "id": run_id,
                "workflow_id": plan.workflow_id,
                "workflow_version_id": plan.version.pk,
                "trigger_node_id": plan.node_id,
                "event_key": event.key,
                "input": to_json(event.payload),
                "triggered_by": "webhook",
                "created_at": now,
                "last_seq": 1,  # its first event, stored with it
            }
            for f in fields:
                name = f.attname
                run_params.append(
                    f.get_db_prep_save(values[name], connection=connection) if name in values else defaults[name]
                )
            event_params.extend((run_id, event_payload))
            rows += 1
    if not rows:
        return {}, {}, now
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(rows), [*run_params, "run.created", now, *event_params])
        created = {run_id: int(event_id) for run_id, event_id in cursor.fetchall()}
    wanted = [
        (str(plan.workflow_id), plan.node_id, str(event.key))
        for plan in planned
        for run_id, event in zip(plan.run_ids, plan.events, strict=True)
        if run_id not in created and event.key is not None
    ]
    existing: dict[tuple[str, str, str], uuid.UUID] = {}
    if wanted:
        keys = list(dict.fromkeys(wanted))
        with connection.cursor() as cursor:
            cursor.execute(_duplicates_sql(len(keys)), [value for key in keys for value in key])
            for run_id, workflow_id, node_id, event_key in cursor.fetchall():
                existing[(str(workflow_id), node_id, event_key)] = run_id
    return created, existing, now


@dataclass
class Stored:
    """What storing a group of deliveries gave: an answer per delivery, then what to send once answered."""

    answers: list[Answer]
    #: The runs the group created (not those a delivery stored on its own, which enqueued theirs).
    new_runs: list[str] = field(default_factory=list)
    #: Their ``run.created`` events, as :func:`engine.events.serialize_event` gives them.
    messages: list[dict[str, Any]] = field(default_factory=list)

    def dispatch(self) -> None:
        """Enqueue the new runs and publish their events (on commit, inside a transaction)."""
        if self.new_runs:
            enqueue_runs(self.new_runs)
        if self.messages:
            messages = self.messages
            transaction.on_commit(lambda: events.publish(messages))


def store_deliveries(deliveries: Sequence[Delivery]) -> Stored:
    """Store ``deliveries`` together: how to answer each, and the new runs to enqueue.

    Every answer is true once this returns (and the surrounding transaction, if
    any, has committed); the caller answers, then calls :meth:`Stored.dispatch`.
    A run whose message is lost between the two (the process died) is pending
    without a lease, and the scheduler's sweep enqueues it.
    """
    if connection.vendor != "postgresql":
        return Stored([receive_one(delivery) for delivery in deliveries])
    endpoints = _load_endpoints({delivery.token for delivery in deliveries})
    answers: list[Answer | None] = [None] * len(deliveries)
    planned: list[_Planned] = []
    for index, delivery in enumerate(deliveries):
        endpoint = endpoints.get(delivery.token)
        try:
            version, trigger_events = check_delivery(endpoint, delivery.request)
        except WebhookRejected as exc:
            answers[index] = Answer.rejected(exc.status, exc.message)
            continue
        except json.JSONDecodeError:
            answers[index] = Answer.rejected(400, NOT_JSON)
            continue
        except Exception:
            logger.exception("a webhook trigger failed on a delivery")
            answers[index] = Answer.rejected(500, FAILED)
            continue
        assert endpoint is not None  # check_delivery refuses unknown tokens
        planned.append(_Planned(index, endpoint.workflow_id, version, endpoint.node_id, trigger_events))
    if not planned:
        return Stored([a for a in answers if a is not None])
    try:
        # Inside a transaction (a test, a caller's atomic block) a failure must not break it.
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            created, existing, stored_at = _store_planned(planned)
    except Exception as exc:  # noqa: BLE001 - each delivery is stored again on its own below
        logger.warning("a group of %d webhook deliveries failed (%s); storing each on its own", len(planned), exc)
        for plan in planned:
            answers[plan.index] = _receive_one_logged(deliveries[plan.index])
        return Stored([a for a in answers if a is not None])
    new_runs: list[str] = []
    messages: list[dict[str, Any]] = []
    at = stored_at.isoformat()
    for plan in planned:
        run_ids: list[str] = []
        duplicates = 0
        for run_id, event in zip(plan.run_ids, plan.events, strict=True):
            if run_id in created:
                new_runs.append(str(run_id))
                run_ids.append(str(run_id))
                messages.append(
                    {
                        "id": created[run_id],
                        "seq": 1,
                        "run_id": str(run_id),
                        "workflow_id": str(plan.workflow_id),
                        "type": "run.created",
                        "node_id": None,
                        "at": at,
                        "payload": {"trigger_node_id": plan.node_id, "version": plan.version.number},
                    }
                )
                continue
            first = existing.get((str(plan.workflow_id), plan.node_id, str(event.key)))
            if first is None:
                break
            run_ids.append(str(first))
            duplicates += 1
        else:
            answers[plan.index] = Answer.accepted(run_ids, duplicates)
            continue
        # The run this event key collided with is gone (deleted meanwhile): store the delivery on its own.
        answers[plan.index] = _receive_one_logged(deliveries[plan.index])
    return Stored([a for a in answers if a is not None], new_runs, messages)


def _receive_one_logged(delivery: Delivery) -> Answer:
    try:
        return receive_one(delivery)
    except Exception:
        # Never the token or the body: the message and traceback name the failure only.
        logger.exception("a webhook delivery could not be stored")
        return Answer.rejected(500, FAILED)
