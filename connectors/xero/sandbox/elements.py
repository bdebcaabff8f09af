"""Saving many elements in one request, Xero's way (``summarizeErrors``), and simple ``where`` filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

from connectors.xero.sandbox.http import body_json, envelope, json_response, validation_error, xero_date
from connectors.xero.sandbox.store import STORE

#: ``prepare(element) -> (record, errors)``; ``commit(record)`` stores it. Prepare sees earlier commits.
Prepare = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]
Commit = Callable[[dict[str, Any]], None]


def save_elements(request: HttpRequest, collection: str, prepare: Prepare, commit: Commit) -> HttpResponse:
    """Validate and save ``body[collection]``.

    ``summarizeErrors`` true or absent: one failing element refuses the whole
    request (400, nothing saved). False: the good ones are saved and every
    element comes back with its own status and errors (200).
    """
    body = body_json(request)
    if not isinstance(body, dict) or not isinstance(body.get(collection), list):
        return json_response(
            {
                "ErrorNumber": 11,
                "Type": "PostDataInvalidException",
                "Message": f'The request must be {{"{collection}": [...]}}',
            },
            400,
        )
    summarize = request.GET.get("summarizeErrors", "true").lower() != "false"
    with STORE.lock:
        prepared = []
        for element in body[collection]:
            record, errors = prepare(dict(element))
            prepared.append((element, record, errors))
            if not errors and not summarize:
                commit(record)
        failed = [(element, errors) for element, _, errors in prepared if errors]
        if summarize:
            if failed:
                return validation_error(
                    [{**element, "ValidationErrors": [{"Message": m} for m in errors]} for element, errors in failed]
                )
            for _, record, _ in prepared:
                commit(record)
            return json_response(envelope(collection, [record for _, record, _ in prepared]))
        out = []
        for element, record, errors in prepared:
            if errors:
                out.append(
                    {
                        **element,
                        "HasErrors": True,
                        "StatusAttributeString": "ERROR",
                        "ValidationErrors": [{"Message": m} for m in errors],
                    }
                )
            else:
                out.append({**record, "StatusAttributeString": "OK"})
        return json_response(envelope(collection, out))


_CLAUSE = re.compile(r'^\s*([A-Za-z.]+)\s*==\s*"((?:[^"\\]|\\.)*)"\s*$')


def where_filter(where: str | None) -> Callable[[dict[str, Any]], bool]:
    """``Field=="value" AND Other=="x"`` (the forms the connectors use); anything else matches nothing."""
    if not where:
        return lambda record: True
    clauses = []
    for part in re.split(r"\s+AND\s+", where):
        match = _CLAUSE.match(part)
        if match is None:
            return lambda record: False
        clauses.append((match.group(1), match.group(2).replace('\\"', '"')))

    def matches(record: dict[str, Any]) -> bool:
        for field_path, value in clauses:
            current: Any = record
            for part in field_path.split("."):
                current = current.get(part) if isinstance(current, dict) else None
            if str(current or "").lower() != value.lower():
                return False
        return True

    return matches


def modified_since(request: HttpRequest) -> float | None:
    header = request.headers.get("If-Modified-Since")
    if not header:
        return None
    try:
        parsed = datetime.fromisoformat(header.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def stamp(record: dict[str, Any]) -> None:
    record["_updated"] = time.time()
    record["UpdatedDateUTC"] = xero_date(record["_updated"])


def page(request: HttpRequest, records: list[dict[str, Any]], collection: str) -> HttpResponse:
    since = modified_since(request)
    if since is not None:
        records = [r for r in records if r.get("_updated", 0) > since]
    if not request.GET.get("page"):
        return json_response(envelope(collection, records))
    number = max(1, int(request.GET["page"]))
    size = min(1000, max(1, int(request.GET.get("pageSize", "100"))))
    chunk = records[(number - 1) * size : number * size]
    pagination = {
        "page": number,
        "pageSize": size,
        "pageCount": max(1, -(-len(records) // size)),
        "itemCount": len(records),
    }
    return json_response(envelope(collection, chunk, pagination=pagination))
