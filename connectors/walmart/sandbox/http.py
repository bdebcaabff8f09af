"""HTTP plumbing of the Walmart sandbox: auth, required headers, limits, faults, error bodies."""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from connectors.walmart.sandbox.store import CLIENT_ID, CLIENT_SECRET, STORE

View = Callable[..., HttpResponse]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # exact for the 2-decimal amounts the sandbox stores
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(_plain(body)), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def gateway_error(
    status: int, code: str, description: str, *, field: str = "", category: str = "REQUEST"
) -> HttpResponse:
    """Walmart's ``{"errors": [GatewayError]}`` body."""
    error = {
        "code": code,
        "field": field,
        "description": description,
        "info": description,
        "severity": "ERROR",
        "category": category,
        "causes": [],
        "errorIdentifiers": {},
    }
    return json_response({"errors": [error]}, status)


def _basic_ok(header: str | None) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return client_id == CLIENT_ID and secret == CLIENT_SECRET


def _inject_faults(request: HttpRequest) -> HttpResponse | None:
    faults = STORE.faults
    if faults.slow_ms:
        time.sleep(faults.slow_ms / 1000)
    if faults.timeout_rate and random.random() < faults.timeout_rate:
        time.sleep(faults.timeout_seconds)
    if faults.error_rate and random.random() < faults.error_rate:
        if random.random() < 0.5:
            return gateway_error(500, "SYSTEM_ERROR.GMP_GATEWAY_API", "Internal error", category="SYSTEM")
        return HttpResponse("Service Unavailable", status=503)
    if faults.malformed_rate and random.random() < faults.malformed_rate:
        return HttpResponse('{"list": {"meta": {"totalCount": ', status=200, content_type="application/json")
    return None


def api(limit: str, *, token: bool = True) -> Callable[[View], View]:
    """Wrap a sandbox endpoint: headers, token, rate limit, faults, counting."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            with STORE.lock:
                STORE.calls[f"{request.method} {view.__name__}"] += 1
            missing = [h for h in ("WM_QOS.CORRELATION_ID", "WM_SVC.NAME") if not request.headers.get(h)]
            if missing:
                return gateway_error(
                    400,
                    "INVALID_REQUEST_HEADER.GMP_GATEWAY_API",
                    f"missing required header {missing[0]}",
                    field=missing[0],
                )
            if token:
                access = request.headers.get("WM_SEC.ACCESS_TOKEN", "")
                expires = STORE.tokens.get(access)
                if expires is None or expires < time.time() or STORE.faults.expire_tokens:
                    return gateway_error(
                        401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized token or incorrect authorization header"
                    )
            elif not _basic_ok(request.headers.get("Authorization")):
                return gateway_error(
                    400, "INVALID_REQUEST_HEADER.GMP_GATEWAY_API", "invalid client id or secret", field="Authorization"
                )
            with STORE.lock:
                allowed, left, wait = STORE.bucket(limit).take()
                if STORE.faults.rate_limit_storm:
                    allowed, left, wait = False, 0, 5.0
                if not allowed:
                    STORE.violations += 1
            headers = {
                "X-Current-Token-Count": str(left),
                "X-Next-Replenishment-Time": str(int((time.time() + max(wait, 0.0)) * 1000)),
            }
            if not allowed:
                response = gateway_error(
                    429, "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "Too many requests", category="SYSTEM"
                )
                response["Retry-After"] = str(max(1, int(wait + 0.999)))
            else:
                response = _inject_faults(request) or view(request, *args, **kwargs)
            for name, value in headers.items():
                response[name] = value
            return response

        return wrapper

    return decorate


def body_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null", parse_float=Decimal)
    except json.JSONDecodeError:
        return None
