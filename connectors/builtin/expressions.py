"""JSONata for built-in nodes: compiled once per thread, errors that name the field."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jsonata

from connectors.sdk.errors import PermanentError


#: JSON Schema of a config property holding a JSONata expression (the canvas shows its editor).
def expression_property(title: str, description: str, default: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "type": "string",
        "format": "jsonata",
        "title": title,
        "description": description,
        "minLength": 1,
    }
    if default is not None:
        prop["default"] = default
    return prop


_CACHE_SIZE = 256
# Compiled expressions keep evaluation state, so each thread keeps its own.
_local = threading.local()


def compile_expression(source: str, field: str) -> jsonata.Jsonata:
    """The compiled expression (cached per thread).

    Raises:
        PermanentError: the expression does not parse; ``field`` names the config field.
    """
    cache: OrderedDict[str, jsonata.Jsonata] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = OrderedDict()
    compiled = cache.get(source)
    if compiled is not None:
        cache.move_to_end(source)
        return compiled
    try:
        compiled = jsonata.Jsonata(source)
    except Exception as exc:  # noqa: BLE001 - the library raises RuntimeError subclasses for syntax
        raise PermanentError(
            f"the expression in {field} does not parse: {exc}", code="expression_syntax", field=field
        ) from None
    cache[source] = compiled
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return compiled


def evaluate(source: str, data: Any, *, field: str, bindings: Mapping[str, Any] | None = None) -> Any:
    """Evaluate ``source`` against ``data``; ``bindings`` become ``$name`` variables.

    Raises:
        PermanentError: the expression does not parse or fails on this data.
    """
    compiled = compile_expression(source, field)
    try:
        return compiled.evaluate(data, dict(bindings or {}))
    except Exception as exc:  # noqa: BLE001 - evaluation errors are the item's problem, not the worker's
        raise PermanentError(
            f"the expression in {field} failed on this item: {exc}", code="expression_error", field=field
        ) from None


def evaluate_for(context: Any, source: str, data: Any, field: str) -> Any:
    """Evaluate with ``$trigger`` bound to the run's trigger payload."""
    return evaluate(source, data, field=field, bindings={"trigger": context.trigger})


def truthy(value: Any) -> bool:
    """JSONata's idea of true: empty arrays and missing values are false."""
    if isinstance(value, list):
        return any(truthy(element) for element in value)
    return bool(value)
