"""Scripted sandbox faults: the next calls get exactly the faults a test asks for."""

from __future__ import annotations

from django.http import HttpResponse

from connectors.sdk.sandbox_kit import Faults, before_call


def test_scripted_errors_come_with_the_status_asked_for_then_the_rates_apply() -> None:
    faults = Faults(script=["error_503", "error_500", "error_503"])
    statuses = [
        getattr(before_call(faults, HttpResponse(status=500), HttpResponse(status=200)), "status_code", None)
        for _ in range(4)
    ]
    assert statuses == [503, 500, 503, None]  # then no error: the rate is 0
    assert faults.applied["error"] == 3 and faults.script == []
