"""``/sandbox/xero/_control/``: reset, faults, limits and counters (no auth: a test tool)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.xero.sandbox.http import body_json, json_response
from connectors.xero.sandbox.store import STORE, Faults, Limits


def _body(request: HttpRequest) -> dict[str, Any]:
    body = body_json(request)
    return (
        {k: (float(v) if not isinstance(v, bool | str) else v) for k, v in body.items()}
        if isinstance(body, dict)
        else {}
    )


@csrf_exempt
@require_http_methods(["POST"])
def reset(request: HttpRequest) -> HttpResponse:
    STORE.reset()
    return json_response({"reset": True})


def _replace(current: Any, kind: type, body: dict[str, Any]) -> Any | HttpResponse:
    known = {f.name: f.type for f in dataclasses.fields(kind)}
    unknown = sorted(set(body) - set(known))
    if unknown:
        return json_response({"detail": f"unknown fields {unknown}; known: {sorted(known)}"}, 400)
    values = {k: int(v) if known[k] == "int" else v for k, v in body.items()}
    return dataclasses.replace(current, **values)


@csrf_exempt
@require_http_methods(["POST"])
def faults(request: HttpRequest) -> HttpResponse:
    replaced = _replace(STORE.faults, Faults, _body(request))
    if isinstance(replaced, HttpResponse):
        return replaced
    STORE.faults = replaced
    return json_response(dataclasses.asdict(replaced))


@csrf_exempt
@require_http_methods(["POST"])
def limits(request: HttpRequest) -> HttpResponse:
    replaced = _replace(STORE.limits, Limits, _body(request))
    if isinstance(replaced, HttpResponse):
        return replaced
    STORE.limits = replaced
    return json_response(dataclasses.asdict(replaced))


@require_http_methods(["GET"])
def stats(request: HttpRequest) -> HttpResponse:
    books = STORE.books
    with STORE.lock:
        references = Counter(i.get("Reference") for i in books.invoices.values() if i.get("Reference"))
        return json_response(
            {
                "calls": dict(STORE.calls),
                "violations": STORE.violations,
                "refreshes": STORE.refreshes,
                "contacts": len(books.contacts),
                "invoices": len(books.invoices),
                "payments": len(books.payments),
                "credit_notes": len(books.credit_notes),
                "duplicate_references": sorted(r for r, n in references.items() if n > 1),
            }
        )
