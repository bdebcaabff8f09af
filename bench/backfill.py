"""Target 4: a backfill of Walmart orders from the sandbox; no process above 300 MB, progress while it runs.

Seeds ``--orders`` orders into the Walmart sandbox, served by a process of its
own (``bench.sandbox``: daphne drops Walmart's underscore headers, so the
sandbox cannot be reached through it), then runs ``manage.py backfill`` on a
workflow whose trigger is the Walmart orders poll, as its own process,
printing its progress lines as they come and sampling the resident memory of
every process started. The backfill stores the runs (one per order); no
workers run, so what is measured is the backfill itself. The sandbox keeps
every seeded order in memory: its resident memory is reported, but it is the
emulator's, not Ledgerline's, and is not held to the limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import harness


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=20_000, help="orders in the sandbox (target: 100000)")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--limit-mb", type=float, default=300.0)
    parser.add_argument("--timeout", type=float, default=900.0)


def _seed(base: str, orders: int) -> dict[str, Any]:
    done: dict[str, Any] = {}
    for start in range(0, orders, 20_000):
        body = json.dumps({"orders": min(20_000, orders - start), "seed": 1 + start, "returns_share": 0}).encode()
        request = urllib.request.Request(f"{base}/_control/seed", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=300) as response:
            done = json.loads(response.read())
    return done


def _workflow(base: str, page_size: int) -> Any:
    from connectors.sdk.models import Connection
    from connectors.walmart.sandbox.store import CLIENT_ID, CLIENT_SECRET
    from designer.services import workflow_create
    from orgs.services import default_organization
    from tests.support.flows import chain, node

    org = default_organization()
    row = Connection(organization=org, kind="walmart", name="Walmart bench", base_url=base)
    row.set_secrets({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    row.save()
    document = chain(
        node("poll", "walmart.orders.poll", connection=str(row.pk), page_size=page_size),
        node("log", "builtin.debug", label="order"),
    )
    workflow = workflow_create(organization=org, name="bench backfill", document=document)
    workflow.active = False  # only the backfill feeds it: no live poll meanwhile
    workflow.save(update_fields=["active"])
    return workflow


def run(args: argparse.Namespace) -> harness.Report:
    work = Path(tempfile.mkdtemp(prefix="ledgerline-bench-"))
    with harness.database(harness.database_name("backfill")) as db_url:
        env = harness.service_env(db_url, work / "data")
        harness.flush_redis(harness.REDIS_BROKER, harness.REDIS_LAYER)
        harness.use_env(env)
        from django.core.management import call_command
        from django.db import connection

        from engine.models import Run

        call_command("migrate", verbosity=0)
        port = harness.free_port()
        base = f"http://127.0.0.1:{port}/sandbox/walmart"
        progress_lines: list[str] = []
        with harness.Processes(work / "logs") as procs:
            procs.start("sandbox", [harness.PYTHON, "-m", "bench.sandbox", "--port", str(port)], env)
            harness.wait_until(lambda: harness.http_ok(f"{base}/_control/stats"), timeout=60, what="the sandbox server")
            seeded = _seed(base, args.orders)
            workflow = _workflow(base, args.page_size)
            connection.close()
            since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3650)).date().isoformat()
            started = time.monotonic()
            backfill = procs.start(
                "backfill", [harness.PYTHON, "manage.py", "backfill", str(workflow.pk), "poll", "--since", since], env
            )
            seen = 0
            deadline = started + args.timeout
            while backfill.process.poll() is None and time.monotonic() < deadline:
                time.sleep(1.0)
                lines = backfill.log.read_text(errors="replace").splitlines()
                for line in lines[seen:]:
                    if line.startswith("[running]") and len(progress_lines) % 10 == 0:
                        print(line, flush=True)
                    progress_lines.append(line)
                seen = len(lines)
            elapsed = time.monotonic() - started
            code = backfill.process.poll()
            procs.sample()
            last = backfill.log.read_text(errors="replace").splitlines()[-1:] or [""]
            stored = Run.objects.filter(workflow=workflow).count()
            connection.close()
    peaks = {name: mb for name, mb in procs.peaks.items() if not name.startswith("sandbox")}
    sandbox_mb = max((mb for name, mb in procs.peaks.items() if name.startswith("sandbox")), default=0.0)
    worst = max(peaks.values()) if peaks else 0.0
    report = harness.Report("Walmart backfill (target 4)")
    report.add("orders in the sandbox", str(seeded.get("orders")), str(args.orders))
    report.add("runs stored (DB)", str(stored), str(args.orders), stored == args.orders)
    report.add("backfill exit code", str(code), "0", code == 0)
    report.add("time (s) / orders per second", f"{elapsed:.1f} / {stored / elapsed:.0f}")
    report.add("progress lines printed", str(sum(1 for line in progress_lines if line.startswith("[running]"))))
    for name, mb in sorted(peaks.items()):
        report.add(f"peak RSS {name} (MiB)", f"{mb:.0f}", f"≤ {args.limit_mb:g}", mb <= args.limit_mb)
    report.add(
        "highest RSS of any Ledgerline process (MiB)", f"{worst:.0f}", f"≤ {args.limit_mb:g}", worst <= args.limit_mb
    )
    report.add("peak RSS sandbox (MiB; the emulator's, not held to the limit)", f"{sandbox_mb:.0f}")
    report.notes.append(f"last progress line: {last[0]}")
    report.notes.append("the Walmart sandbox runs in a process of its own and keeps every seeded order in memory")
    return report
