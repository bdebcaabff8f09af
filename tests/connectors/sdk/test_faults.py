"""The test-only crash point: a no-op unless LEDGERLINE_CRASH_POINT names it, then a SIGKILL of its own process."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from django.test import override_settings

from connectors.sdk.faults import crash_point

PROGRAM = """
import django
from django.conf import settings
settings.configure(LEDGERLINE_CRASH_POINT={point!r})
from connectors.sdk.faults import crash_point
for n in range(1, 4):
    print(n, flush=True)
    crash_point("xero.invoice.after_create")
print("survived", flush=True)
"""


def run(point: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(point=point)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("point", "printed", "returncode"),
    [
        ("", "1 2 3 survived", 0),
        ("xero.payment.after_create", "1 2 3 survived", 0),
        ("xero.invoice.after_create", "1", -signal.SIGKILL),
        ("xero.invoice.after_create@3", "1 2 3", -signal.SIGKILL),
    ],
)
def test_a_process_kills_itself_only_at_the_named_point(point: str, printed: str, returncode: int) -> None:
    finished = run(point)
    assert (" ".join(finished.stdout.split()), finished.returncode) == (printed, returncode)


@override_settings(LEDGERLINE_CRASH_POINT="")
def test_unset_it_does_nothing() -> None:
    crash_point("xero.invoice.after_create")
