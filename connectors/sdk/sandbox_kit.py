"""What every local API sandbox shares: switchable faults and JSON answers with exact amounts."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse


@dataclass
class Faults:
    """Switchable misbehaviour, set through a sandbox's ``_control/faults``."""

    #: Share of calls answered 500 or 503 before anything happens.
    error_rate: float = 0.0
    #: Share of calls that take effect and are then answered 500 anyway (the caller never hears).
    error_after_rate: float = 0.0
    rate_limit_storm: bool = False
    #: Share of calls that hang ``timeout_seconds`` at the front door and are then dropped (504)
    #: without taking effect; past the caller's read timeout, the caller times out.
    timeout_rate: float = 0.0
    #: Share of calls that take effect and then hang ``timeout_seconds`` before the answer goes
    #: out: the caller times out without hearing that it worked.
    timeout_after_rate: float = 0.0
    timeout_seconds: float = 5.0
    #: Every call waits this long before it is handled (a slow remote).
    slow_ms: int = 0
    malformed_rate: float = 0.0
    expire_tokens: bool = False
    #: Faults the next calls get for certain, in order, before the rates apply (``["timeout",
    #: "timeout_after", "error", "error_after"]``): a test that must meet each kind scripts them.
    #: ``"error_500"`` and ``"error_503"`` are an ``"error"`` with its status chosen.
    script: list[str] = field(default_factory=list, compare=False)
    #: How many calls each fault was applied to (``"timeout"``, ``"timeout_after"``, ``"error"``…),
    #: so a test can tell the faults it asked for really happened.
    applied: Counter[str] = field(default_factory=Counter, compare=False)


def plain(value: Any) -> Any:
    """JSON-ready: Decimals as numbers (the sandboxes keep at most four decimals, printed exactly);
    keys starting with ``_`` are the sandbox's own bookkeeping and are left out."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if not str(key).startswith("_")}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(plain(body)), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _hits(faults: Faults, kind: str, rate: float) -> bool:
    """Whether this call gets fault ``kind``: next in the script, else by its rate; counted."""
    if faults.script and faults.script[0] == kind:
        faults.script.pop(0)
    elif not (rate and random.random() < rate):
        return False
    faults.applied[kind] += 1
    return True


def hang_before(faults: Faults) -> HttpResponse | None:
    """The slow and the dropped-call faults, before a call is handled; the 504 of a dropped call."""
    if faults.slow_ms:
        time.sleep(faults.slow_ms / 1000)
    if _hits(faults, "timeout", faults.timeout_rate):
        time.sleep(faults.timeout_seconds)
        return HttpResponse("Gateway Timeout", status=504)
    return None


def hang_after(faults: Faults) -> None:
    """The late-answer fault: the call took effect; its answer leaves ``timeout_seconds`` later."""
    if _hits(faults, "timeout_after", faults.timeout_after_rate):
        time.sleep(faults.timeout_seconds)


def before_call(faults: Faults, server_error: HttpResponse, malformed: HttpResponse) -> HttpResponse | None:
    """Apply the error and malformed faults; the response to send instead, if any."""
    pinned = faults.script[0] if faults.script and faults.script[0] in ("error_500", "error_503") else None
    if pinned is not None:
        faults.script[0] = "error"
    if _hits(faults, "error", faults.error_rate):
        status = {"error_500": 500, "error_503": 503}.get(pinned or "", 500 if random.random() < 0.5 else 503)
        return server_error if status == 500 else HttpResponse("Service Unavailable", status=503)
    if faults.malformed_rate and random.random() < faults.malformed_rate:
        return malformed
    return None


def fails_after(faults: Faults) -> bool:
    return _hits(faults, "error_after", faults.error_after_rate)
