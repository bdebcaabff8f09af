"""HTTP plumbing of the Walmart sandbox: auth, required headers, limits, faults, error bodies."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from connectors.sdk.sandbox_kit import before_call, hang_after, hang_before, json_response
from connectors.walmart.sandbox.store import CLIENT_ID, CLIENT_SECRET, STORE

View = Callable[..., HttpResponse]


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
    return before_call(
        STORE.faults,
        gateway_error(500, "SYSTEM_ERROR.GMP_GATEWAY_API", "Internal error", category="SYSTEM"),
        HttpResponse('{"list": {"meta": {"totalCount": ', status=200, content_type="application/json"),
    )


def api(limit: str, *, token: bool = True) -> Callable[[View], View]:
    """Wrap a sandbox endpoint: headers, token, rate limit, faults, counting."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            with STORE.lock:
                STORE.calls[f"{request.method} {view.__name__}"] += 1
            dropped = hang_before(STORE.faults)
            if dropped is not None:
                return dropped
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
            hang_after(STORE.faults)
            return response

        return wrapper

    return decorate


def body_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null", parse_float=Decimal)
    except json.JSONDecodeError:
        return None
