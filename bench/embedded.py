"""Target 5: the embedded mode (``manage.py serve`` as ``make run`` starts it) under 350 MB resident.

Bootstraps a fresh data folder (templates, demo data, admin), serves it with
the in-process worker and scheduler, creates a workflow through the API, runs
it ``--runs`` times, and samples the serve process's resident memory throughout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import harness

FLOW = {
    "schema": 1,
    "nodes": [
        {"id": "start", "type": "builtin.trigger.manual"},
        {"id": "total", "type": "builtin.map", "config": {"expression": '{"total": $sum(lines.amount)}'}},
        {"id": "big", "type": "builtin.branch", "config": {"condition": "total > 100"}},
        {"id": "log", "type": "builtin.debug", "config": {"label": "big order"}},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "total"},
        {"id": "e2", "source": "total", "target": "big"},
        {"id": "e3", "source": "big", "source_port": "true", "target": "log"},
    ],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--limit-mb", type=float, default=350.0)


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BROKER_URL", "CHANNEL_LAYER_URL"}}
    env.update(LEDGERLINE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.pop("LEDGERLINE_EXTRA_APPS", None)
    return env


def _api(base: str, token: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def run(args: argparse.Namespace) -> harness.Report:
    work = Path(tempfile.mkdtemp(prefix="ledgerline-bench-"))
    env = _embedded_env(work / "data")
    boot = subprocess.run(
        [harness.PYTHON, "manage.py", "bootstrap"],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"API token:\s*(\S+)", boot.stdout)
    if found is None:
        raise RuntimeError(f"bootstrap printed no API token:\n{boot.stdout[-2000:]}")
    token = found.group(1)
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    samples: list[float] = []
    with harness.Processes(work / "logs") as procs:
        procs.start("serve", [harness.PYTHON, "manage.py", "serve", "--port", str(port)], env)
        harness.wait_until(lambda: harness.http_ok(f"{base}/api/schema/"), timeout=90, what="serve")
        samples.append(procs.total_rss_mb())
        idle = samples[-1]
        workflow = _api(base, token, "POST", "/api/workflows/", {"name": "Bench triage", "document": FLOW})
        started = time.monotonic()
        run_ids = [
            _api(base, token, "POST", f"/api/workflows/{workflow['id']}/runs/", {"input": {"lines": [{"amount": i}]}})[
                "id"
            ]
            for i in range(args.runs)
        ]
        samples.append(procs.total_rss_mb())

        def all_done() -> bool:
            samples.append(procs.total_rss_mb())
            statuses = [_api(base, token, "GET", f"/api/runs/{run_id}/")["status"] for run_id in run_ids[-5:]]
            return all(s in {"succeeded", "failed"} for s in statuses)

        harness.wait_until(all_done, timeout=300, what="the runs", every=0.5)
        elapsed = time.monotonic() - started
        statuses = [_api(base, token, "GET", f"/api/runs/{run_id}/")["status"] for run_id in run_ids]
        samples.append(procs.total_rss_mb())
        procs.check_alive()
    peak = max(max(samples), procs.peaks.get("serve", 0.0))
    report = harness.Report("Embedded mode resident memory (target 5)")
    report.add("RSS after start, demo loaded (MiB)", f"{idle:.0f}")
    report.add("peak RSS web + worker + scheduler (MiB)", f"{peak:.0f}", f"< {args.limit_mb:g}", peak < args.limit_mb)
    report.add("runs through the API", f"{args.runs} in {elapsed:.1f} s")
    report.add(
        "runs succeeded", str(statuses.count("succeeded")), str(args.runs), statuses.count("succeeded") == args.runs
    )
    report.notes.append("one `manage.py serve` process (SQLite, stub broker, in-process worker and scheduler)")
    return report
