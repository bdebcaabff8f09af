"""Database connections of long-lived threads (the webhook receiver's pool, worker threads).

Django's ``close_old_connections`` before every request or message also makes
the next query a health check (``SELECT 1``) when ``CONN_HEALTH_CHECKS`` is on:
one round trip per webhook and per worker message. Here a thread checks its
connections when one of them had an error, and otherwise every few seconds;
a connection that broke in between fails one request or message, is closed
after it, and the next one reconnects (workers retry the message).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import close_old_connections, connection, connections
from django.db.models import JSONField
from dramatiq.middleware import Middleware

from engine.core.jsonsafe import json_scalar

CHECK_EVERY_SECONDS = 5.0

_last_check = threading.local()


def refresh_connections(*, now: float | None = None) -> bool:
    """``close_old_connections`` when due on this thread; whether it ran."""
    now = time.monotonic() if now is None else now
    errors = any(conn.errors_occurred for conn in connections.all(initialized_only=True))
    if not errors and now - getattr(_last_check, "at", float("-inf")) < CHECK_EVERY_SECONDS:
        return False
    close_old_connections()
    _last_check.at = now
    return True


class PromptPollingMiddleware(Middleware):
    """Idle queues are polled every ``LEDGERLINE_WORKER_POLL_MS`` at most, not every second.

    Dramatiq's Redis consumer backs off up to its worker timeout (1 s by
    default) while a queue is empty, so a message sent to a queue that was
    idle — the next batch flush, a run waking up — waited up to a second
    before a worker even saw it. The flush of a rate-limited batch key runs
    one at a time, so that wait came straight off the calls a minute.
    """

    def before_worker_boot(self, broker: Any, worker: Any) -> None:
        from django.conf import settings

        worker.worker_timeout = int(getattr(settings, "LEDGERLINE_WORKER_POLL_MS", 50))


class DbConnectionsMiddleware(Middleware):
    """django_dramatiq's middleware of the same name, with :func:`refresh_connections`."""

    def before_process_message(self, broker: Any, message: Any) -> None:
        refresh_connections()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None, exception: Any = None) -> None:
        refresh_connections()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        refresh_connections()

    def before_worker_thread_shutdown(self, broker: Any, thread: Any) -> None:
        connections.close_all()


_PLAIN = frozenset({str, int, bool})


def _row_value(field: Any, value: Any) -> Any:
    """A field's value as it travels in the rows document: JSON values as they are, others prepared.

    Timestamps and UUIDs are made text here, by their exact type: left to the
    encoder's ``default``, each cost a call into Python and its type tests, and a
    group's rows hold a few hundred of them.
    """
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value
    if kind is dt.datetime:
        return value.isoformat()
    if kind is uuid.UUID:
        return str(value)
    if isinstance(field, JSONField):
        return value
    return field.get_db_prep_save(value, connection)


def _rows_document(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return json.dumps([dict(zip(names, row, strict=True)) for row in rows], default=json_scalar)


def _recordset(names: Sequence[str], sql_types: Sequence[str]) -> str:
    """``jsonb_to_recordset(%s::jsonb) AS v(name type, …)``: a whole set of rows as one parameter.

    One parameter, not one per value: the statement's text is the same for any
    number of rows, so the driver parses it once, and the values are encoded
    by one ``json.dumps``.
    """
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in zip(names, sql_types, strict=True))
    return f"jsonb_to_recordset(%s::jsonb) AS v({columns})"


@lru_cache(maxsize=256)
def _update_statement(
    table: str, keys: tuple[tuple[str, str], ...], fields: tuple[Any, ...], where: str, returning: str
) -> tuple[str, list[str]]:
    """The text of an :func:`update_from_values` statement and its rows' names (built once per shape)."""
    columns = [str(field.column) for field in fields]
    names = [name for name, _ in keys] + columns
    sql_types = [sql_type for _, sql_type in keys] + [str(field.db_type(connection)) for field in fields]
    sql = (
        f"UPDATE {table} AS t SET {', '.join(f'{c} = v.{c}' for c in columns)} "  # noqa: S608 - names from the model
        f"FROM {_recordset(names, sql_types)} WHERE {where}" + (f" RETURNING {returning}" if returning else "")
    )
    return sql, names


@lru_cache(maxsize=256)
def _insert_statement(table: str, pk_column: str, fields: tuple[Any, ...]) -> tuple[str, list[str]]:
    """The text of an :func:`insert_values` statement and its rows' names (built once per shape)."""
    names = [str(field.column) for field in fields]
    sql_types = [str(field.db_type(connection)) for field in fields]
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - names from the model
        f"SELECT {', '.join(f'v.{name}' for name in names)} FROM {_recordset(names, sql_types)} "
        f"RETURNING {pk_column}"
    )
    return sql, names


def update_from_values(
    model: type[Any],
    keys: Sequence[tuple[str, str]],
    fields: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    where: str,
    where_params: Sequence[Any] = (),
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """``UPDATE t SET … FROM <rows> AS v``: different values for many rows in one statement (PostgreSQL).

    ``keys`` are the leading ``(name, SQL type)`` columns of each row, for
    ``where`` to match (it sees the table as ``t`` and the values as ``v``);
    ``fields`` are the model fields set from the rest of each row. Django's
    ``bulk_update`` builds a ``CASE WHEN`` per field and row instead, which
    costs far more to build.
    """
    if not rows:
        return []
    sql, names = _update_statement(model._meta.db_table, tuple(keys), tuple(fields), where, returning)
    width = len(keys)
    prepared = [
        [*row[:width], *(_row_value(field, value) for field, value in zip(fields, row[width:], strict=True))]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_rows_document(names, prepared), *where_params])
        return list(cursor.fetchall()) if returning else []


def insert_values(model: type[Any], fields: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """``INSERT … SELECT … FROM <rows> RETURNING <pk>`` (PostgreSQL); the new primary keys, in row order.

    Each row holds the values of ``fields`` in their order (attribute values,
    as on a model instance). Nothing runs per row but the value's preparation:
    no model instance, no ``pre_save`` (set defaults such as creation times
    yourself).
    """
    if not rows:
        return []
    sql, names = _insert_statement(model._meta.db_table, model._meta.pk.column, tuple(fields))
    prepared = [[_row_value(field, value) for field, value in zip(fields, row, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_rows_document(names, prepared)])
        return [new_id for (new_id,) in cursor.fetchall()]


def insert_rows(model: type[Any], objects: Sequence[Any], fields: Sequence[Any]) -> None:
    """:func:`insert_values` for new model instances (PostgreSQL); sets their primary keys.

    What Django's ``bulk_create`` adds on top (per-object ``pre_save``, its
    compiler) was the largest part of a group write's cost, for rows that need
    none of it. The ids come back in the order of the rows (as they do for
    Django's own bulk inserts on PostgreSQL).
    """
    rows = [[getattr(obj, field.attname) for field in fields] for obj in objects]
    for obj, new_id in zip(objects, insert_values(model, fields, rows), strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias


_Loading = tuple[list[str], list[tuple[int, list[Any], Any]]]
_loadings: dict[type[Any], _Loading] = {}


def _loading(model: type[Any]) -> _Loading:
    """A model's attribute names in column order, and each column's converters with its expression."""
    found = _loadings.get(model)
    if found is None:
        fields = model._meta.concrete_fields
        converters = [
            (index, steps, field.cached_col)
            for index, field in enumerate(fields)
            if (steps := [*connection.ops.get_db_converters(field.cached_col), *field.get_db_converters(connection)])
        ]
        found = _loadings[model] = ([field.attname for field in fields], converters)
    return found


def selected_columns(model: type[Any], alias: str) -> str:
    """``alias.column, …`` of every concrete field of ``model``, in the order :func:`instances` reads them."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def instances(model: type[Any], rows: Sequence[Sequence[Any]], extra: Sequence[str] = ()) -> list[Any]:
    """Model instances of rows read with :func:`selected_columns`, and ``extra`` columns after them.

    What a ``RawQuerySet`` does for a statement Django cannot build (an
    ``UPDATE … RETURNING``), without resolving its columns again for every
    statement: each value goes through its field's converters, the instance
    is made by ``Model.from_db``, and the columns after the model's are set
    as the attributes named ``extra``.
    """
    attnames, converters = _loading(model)
    width = len(attnames)
    made = []
    for row in rows:
        values = list(row[:width])
        for index, found, expression in converters:
            for convert in found:
                values[index] = convert(values[index], expression, connection)
        instance = model.from_db(connection.alias, attnames, values)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(instance, name, value)
        made.append(instance)
    return made


def instances_of(model: type[Any], column: str, values: Sequence[Any]) -> list[Any]:
    """Instances of ``model`` whose ``column`` is one of ``values``, read with :func:`instances`.

    On PostgreSQL the values travel as one array parameter: the statement's
    text is the same for any number of them, so it is parsed and planned once
    per connection, not once per group size. Elsewhere, the ORM's ``__in``.
    """
    if not values:
        return []
    if connection.vendor != "postgresql":
        return list(model._default_manager.filter(**{f"{column}__in": list(values)}))
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {selected_columns(model, 't')} FROM {table} AS t WHERE t.{column} = ANY(%s)",  # noqa: S608 - names from the model
            [list(values)],
        )
        return instances(model, cursor.fetchall())


def fast_timestamps(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Read ``timestamptz`` columns with psycopg's compiled parser on a new PostgreSQL connection.

    Django's loader for them (``register_tzloader``) subclasses psycopg's
    pure-Python one to set the connection's time zone, so the compiled loader,
    which psycopg uses wherever a loader is its own, is never used: parsing was
    about 4.5 µs a value against 1.4 here, and a claimed run has seven. This one
    parses with the compiled loader and sets the time zone as Django's does
    (same values, same ``tzinfo``). Connected to ``connection_created``.
    """
    if connection.vendor != "postgresql":
        return
    import psycopg

    if psycopg.pq.__impl__ != "binary":  # psycopg without its compiled package: Django's loader stays
        return
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg_binary._psycopg import TimestamptzLoader as CompiledLoader  # type: ignore[attr-defined]

    class Loader(BaseTzLoader):
        timezone = connection.timezone

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._parse = CompiledLoader(oid, context).load

        def load(self, data: Any) -> Any:
            return self._parse(data).replace(tzinfo=self.timezone)

    connection.connection.adapters.register_loader("timestamptz", Loader)


def create_all(model: type[Any], objects: Sequence[Any]) -> None:
    """Insert new instances of ``model``: :func:`insert_rows` on PostgreSQL, ``bulk_create`` elsewhere.

    Like :func:`insert_rows`, nothing runs per instance: set creation times
    (``auto_now_add``) yourself. On other databases the primary keys are set
    where the database returns them.
    """
    if not objects:
        return
    if connection.vendor == "postgresql":
        fields = [field for field in model._meta.concrete_fields if not (field.primary_key and field.db_returning)]
        insert_rows(model, objects, fields)
    else:
        model.objects.bulk_create(objects)
