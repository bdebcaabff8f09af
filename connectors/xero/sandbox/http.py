"""HTTP plumbing of the Xero sandbox: bearer tokens, tenant header, limits, idempotency, faults."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from connectors.sdk.sandbox_kit import before_call, fails_after, hang_after, hang_before, json_response
from connectors.xero.sandbox.store import STORE, TENANT_ID

View = Callable[..., HttpResponse]


def xero_date(epoch_seconds: float | None = None) -> str:
    return f"/Date({int((epoch_seconds if epoch_seconds is not None else time.time()) * 1000)}+0000)/"


def envelope(collection: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "Ledgerline",
        "DateTimeUTC": xero_date(),
        collection: items,
        **extra,
    }


def validation_error(elements: list[dict[str, Any]]) -> HttpResponse:
    return json_response(
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
        400,
    )


def not_found(what: str) -> HttpResponse:
    return json_response(
        {"Title": "Not Found", "Status": 404, "Detail": f"The {what} you're looking for cannot be found"}, 404
    )


def _problem(status: int, title: str) -> HttpResponse:
    return json_response(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": "AuthenticationUnsuccessful",
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        status,
    )


def _budget() -> tuple[str | None, float]:
    """The limit a call would break now (``minute``, ``day``, ``concurrent``) and the seconds to wait."""
    now = time.time()
    calls = STORE.minute_calls
    while calls and calls[0] <= now - 60:
        calls.popleft()
    if STORE.faults.rate_limit_storm:
        return "minute", 5.0
    if STORE.in_flight >= STORE.limits.concurrent:
        return "concurrent", 1.0
    if len(calls) >= STORE.limits.per_minute:
        return "minute", max(1.0, calls[0] + 60 - now)
    if STORE.day_calls >= STORE.limits.per_day:
        return "day", 3600.0
    return None, 0.0


def _limit_headers() -> dict[str, str]:
    return {
        "X-MinLimit-Remaining": str(max(0, STORE.limits.per_minute - len(STORE.minute_calls))),
        "X-DayLimit-Remaining": str(max(0, STORE.limits.per_day - STORE.day_calls)),
        "X-AppMinLimit-Remaining": str(max(0, STORE.limits.app_per_minute - len(STORE.minute_calls))),
    }


def _faulted() -> HttpResponse | None:
    return before_call(
        STORE.faults,
        HttpResponse("Internal Server Error", status=500),
        HttpResponse('{"Id": "', status=200, content_type="application/json"),
    )


def _request_hash(request: HttpRequest) -> str:
    return hashlib.sha256(request.method.encode() + request.get_full_path().encode() + request.body).hexdigest()  # type: ignore[union-attr]


def accounting(view: View) -> View:
    """Wrap an accounting endpoint: auth, tenant, limits, faults, idempotency, counting."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with STORE.lock:
            STORE.calls[f"{request.method} {view.__name__}"] += 1
        dropped = hang_before(STORE.faults)  # stuck in front of the API: never handled
        if dropped is not None:
            return dropped
        response = handle(request, *args, **kwargs)
        hang_after(STORE.faults)  # handled, but the answer is late (outside the concurrent calls)
        return response

    def handle(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with STORE.lock:
            expires = STORE.access_tokens.get(token)
            if expires is None or expires < time.time() or STORE.faults.expire_tokens:
                return _problem(401, "Unauthorized")
            if request.headers.get("xero-tenant-id") != TENANT_ID:
                return _problem(403, "Forbidden")
            now = time.time()
            if now < STORE.retry_not_before:
                STORE.violations += 1  # called again before the Retry-After it was given
            problem, wait = _budget()
            if problem is not None:
                retry_after = int(wait + 0.999)
                if STORE.faults.rate_limit_storm:
                    # The storm is Xero's doing, not the caller's: only ignoring its Retry-After counts.
                    STORE.retry_not_before = max(STORE.retry_not_before, now + retry_after)
                else:
                    STORE.violations += 1  # over a published limit
                headers = {**_limit_headers(), "X-Rate-Limit-Problem": problem, "Retry-After": str(retry_after)}
                return json_response({"Title": "Too Many Requests", "Status": 429}, 429, headers)
            STORE.minute_calls.append(time.time())
            STORE.day_calls += 1
            STORE.in_flight += 1
            key = request.headers.get("Idempotency-Key") if request.method in {"PUT", "POST"} else None
            replay = STORE.idempotency.get(key) if key else None
        try:
            if replay is not None:
                digest, status, body = replay
                if digest != _request_hash(request):
                    return json_response(
                        {
                            "Title": "Conflict",
                            "Status": 409,
                            "Detail": "The Idempotency-Key was used with a different request",
                        },
                        409,
                    )
                return json_response(body, status, _limit_headers())
            response = _faulted() or view(request, *args, **kwargs)
            if key and response.status_code < 500:
                with STORE.lock:
                    STORE.idempotency[key] = (
                        _request_hash(request),
                        response.status_code,
                        json.loads(response.content),
                    )
            if fails_after(STORE.faults):
                response = HttpResponse("Internal Server Error", status=500)
            for name, value in _limit_headers().items():
                response[name] = value
            return response
        finally:
            with STORE.lock:
                STORE.in_flight -= 1

    return wrapper


def body_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null", parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError:
        return None
