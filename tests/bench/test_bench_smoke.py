"""Each benchmark with tiny numbers: it starts what it needs, finishes, stops what it started, prints its table.

The figures are not checked (that is what the benchmarks are for); what is
checked is that each one runs end to end and that every run its load produced
was stored and finished.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.cpu import SPEED_MEASURE

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        settings.BROKER_URL.startswith("stub:") or not os.environ.get("CHANNEL_LAYER_URL", "").startswith("redis"),
        reason="the benchmarks need Redis (make test sets BROKER_URL and CHANNEL_LAYER_URL)",
    ),
    pytest.mark.skipif(shutil.which("createdb") is None, reason="the benchmarks need PostgreSQL's createdb"),
]


def bench(*args: str, timeout: float = 240) -> str:
    """Run ``python -m bench --no-record …`` on this test run's Redis numbers and a database of its own."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        LEDGERLINE_BENCH_BROKER_URL=settings.BROKER_URL,
        LEDGERLINE_BENCH_LAYER_URL=os.environ.get("CHANNEL_LAYER_URL", ""),
        LEDGERLINE_BENCH_DB_PREFIX=f"{db['NAME']}_smoke",
    )
    for name in ("DATABASE_URL", "BROKER_URL", "CHANNEL_LAYER_URL", "LEDGERLINE_SHARED_STATE_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--no-record", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def row(output: str, measure: str) -> list[str]:
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == measure:
            return cells
    raise AssertionError(f"no row {measure!r} in:\n{output}")


def test_engine_overhead() -> None:
    output = bench("overhead", "--runs", "5", "--nodes", "2")
    assert float(row(output, "median per node (ms)")[1]) > 0


def test_webhook_flow() -> None:
    output = bench(
        "webhook", "--workers", "1", "--threads", "2", "--latency-rate", "10", "--latency-seconds", "1",
        "--rate", "10", "--seconds", "1", "--clients", "2", "--drain-seconds", "60",
    )  # fmt: skip
    stored, succeeded, failed = (int(n) for n in row(output, "runs stored / succeeded / failed")[1].split(" / "))
    assert stored == succeeded == 10 and failed == 0
    assert int(row(output, "node runs succeeded (DB)")[1]) == 30
    assert int(row(output, "stub received POSTs (both phases)")[1]) == 20


def test_xero_posting() -> None:
    output = bench("xero", "--orders", "12", "--warmup", "5", "--workers", "1", "--threads", "2", "--timeout", "90")
    # The warm-up's orders are posted by workers of their own, stopped before the measured ones start.
    assert row(output, "orders / invoices created")[1] == "12 / 12"
    assert row(output, "runs succeeded / failed")[1] == "12 / 0"
    assert float(row(output, "CPU per order, workers (ms)")[1]) > 0
    assert not any(line.startswith("| CPU per order, warm-up") for line in output.splitlines())
    assert "samples)" in row(output, SPEED_MEASURE)[1]  # the machine's speed while it was measured
    assert row(output, "429 answers (sandbox count)")[1] == "0"
    assert row(output, "duplicate references")[1] == "0"


def test_embedded_mode() -> None:
    output = bench("embedded", "--runs", "3")
    assert row(output, "runs succeeded")[1] == "3"
    assert float(row(output, "peak RSS web + worker + scheduler (MiB)")[1]) > 0
