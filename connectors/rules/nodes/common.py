"""What the rule nodes share: dotted paths into items, mapping-table and remote drop-down options."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from connectors.rules.models import MappingTable
from connectors.sdk import PermanentError, node_types

#: Seconds remote choices (account codes, tax rates) are reused before being read again.
OPTIONS_TTL = 300.0
_cache: dict[tuple[str, str, str], tuple[float, list[dict[str, Any]]]] = {}
_lock = threading.Lock()

TABLE_FIELD: dict[str, Any] = {
    "type": "string",
    "title": "Mapping table",
    "description": "A mapping table's name (or id), from Mapping tables.",
    "minLength": 1,
}
ACCOUNTING_CONNECTION: dict[str, Any] = {
    "type": "string",
    "format": "connection",
    "title": "Accounting connection",
}
OPTIONS_FROM: dict[str, Any] = {
    "type": "string",
    "title": "Read the books' codes through node type",
    "default": "xero.invoice.create",
}


def get_path(item: Any, path: str) -> Any:
    """``a.b.c`` of ``item`` (None where a step is missing); an empty path is the item itself."""
    value = item
    for step in [part for part in path.split(".") if part]:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def set_path(item: dict[str, Any], path: str, value: Any) -> None:
    steps = [part for part in path.split(".") if part]
    target = item
    for step in steps[:-1]:
        target = target.setdefault(step, {})
    target[steps[-1]] = value


def elements(item: Any, path: str, field: str) -> list[dict[str, Any]]:
    """The array at ``path`` (or the item itself as a one-element list when ``path`` is empty)."""
    found = get_path(item, path) if path else [item]
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise PermanentError(f"{path or 'the item'} is not a list of objects", code="rules.not_a_list", field=field)
    return found


def table_choices(config: Mapping[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    """Drop-down choices of the organisation's mapping tables (``config["_organization_id"]``)."""
    organization_id = config.get("_organization_id")
    if not organization_id:
        return []
    tables = MappingTable.objects.filter(organization_id=organization_id)
    if kind:
        tables = tables.filter(kind=kind)
    return [{"value": t.name, "label": f"{t.name} ({t.kind})"} for t in tables.order_by("name")]


def remote_choices(connection: Any, node_type_id: str, name: str) -> list[dict[str, Any]]:
    """A connector's drop-down options (account codes, tax types, tax rates), cached per connection."""
    key = (str(connection.id), node_type_id, name)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached and now - cached[0] < OPTIONS_TTL:
            return cached[1]
    try:
        choices = node_types.get(node_type_id).options(name, connection, {})
    except LookupError:
        raise PermanentError(
            f"node type {node_type_id} offers no {name!r} choices", code="rules.no_options", field="config.options_from"
        ) from None
    with _lock:
        _cache[key] = (now, choices)
    return choices


def forget_remote_choices() -> None:
    """Drop cached remote choices (tests, or after the books changed)."""
    with _lock:
        _cache.clear()


def accounting_kind(config: Mapping[str, Any]) -> str | None:
    """The connection kind of the node type the books' codes are read through (``options_from``)."""
    source = str(config.get("options_from") or OPTIONS_FROM["default"])
    return node_types.get(source).connection_kind if source in node_types else None
