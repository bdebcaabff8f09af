"""Fault injection used by the crash tests: a named point where the process kills itself.

With ``LEDGERLINE_CRASH_POINT=<name>`` in its environment, a process that reaches
``crash_point("<name>")`` sends itself SIGKILL there, as a power cut or the OOM
killer would: no ``finally`` block, no rollback handler and no on-commit hook
runs. ``<name>@<n>`` kills it the n-th time it gets there (the first by
default). Unset, which it always is outside the tests, every call is a no-op.

The points sit where a crash is the hardest to survive, e.g.
``xero.invoice.after_create``: the remote call has returned (the invoice exists
at Xero) and the effect ledger has not committed its answer yet.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

from django.conf import settings

_hits: Counter[str] = Counter()
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """SIGKILL this process here if ``LEDGERLINE_CRASH_POINT`` names this point (a test-only hook)."""
    wanted = getattr(settings, "LEDGERLINE_CRASH_POINT", "")
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    with _lock:
        _hits[name] += 1
        if _hits[name] < int(nth or 1):
            return
    os.kill(os.getpid(), signal.SIGKILL)
