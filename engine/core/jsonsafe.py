"""Making node outputs storable as JSON without losing money precision."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_PLAIN_SCALARS = frozenset({str, bool, int, float})


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of ``value``.

    Decimals become strings (``"19.99"``) so no amount is ever rounded through a
    float; dates become ISO 8601 strings; tuples and sets become lists.

    Raises:
        TypeError: a value that has no JSON form (the message names its type).
    """
    kind = type(value)
    # Exact types first: a node's output is mostly plain dicts, lists and scalars, and the ABC
    # checks below cost more than the copy itself.
    if kind in _PLAIN_SCALARS or value is None:
        return value
    if kind is dict:
        return {key if type(key) is str else str(key): to_json(item) for key, item in value.items()}
    if kind is list:
        return [to_json(item) for item in value]
    if kind is Decimal:  # amounts as JSON decoders with parse_float=Decimal give them
        return str(value)
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    try:
        return json_scalar(value)
    except TypeError:
        raise TypeError(f"a node returned a {type(value).__name__}, which has no JSON form") from None


def json_scalar(value: Any) -> str:
    """The JSON string of a Decimal, date or time, or UUID (also a ``default`` for :func:`json.dumps`).

    Raises:
        TypeError: a value that has no JSON form (the message names its type).
    """
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} has no JSON form")
