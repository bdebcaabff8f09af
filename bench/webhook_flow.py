"""Target 1: webhook → map → HTTP POST to a local stub → done, through the web server and worker processes.

Two phases on one fresh database: acknowledgement latency at a moderate rate
(the webhook's p50/p99), then throughput at a higher offered rate, where the
completed runs are counted from the database (runs and node runs persisted).

Before them, ``--warmup-seconds`` of webhooks at the latency rate are run to
completion and not measured: the worker processes have then finished starting
(importing Django on the same two cores) and the web server has served its
first requests, so the latency phase measures a running installation, not its
start-up.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import cpu, harness
from bench.load import post_json_load


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=2, help="rundramatiq processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--latency-rate", type=float, default=100.0, help="requests/s of the latency phase")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=300.0, help="offered webhooks/s of the throughput phase")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the throughput phase (target: 60)")
    parser.add_argument("--clients", type=int, default=16, help="load generator threads")
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="how long to wait for the backlog")
    parser.add_argument(
        "--warmup-seconds", type=float, default=2.0, help="webhooks run to completion before measuring (0: none)"
    )


def _workflow(stub_url: str) -> tuple[Any, str]:
    from designer.services import workflow_create
    from engine.models import WebhookEndpoint
    from orgs.services import default_organization
    from tests.support.flows import chain, node

    document = chain(
        node("hook", "builtin.trigger.webhook", event_id_path="id"),
        node("map", "builtin.map", expression='{"order": body.order, "total": body.total}'),
        node("post", "builtin.http.request", method="POST", url=stub_url, timeout_seconds=10),
    )
    workflow = workflow_create(organization=default_organization(), name="bench webhook", document=document)
    return workflow, WebhookEndpoint.objects.get(workflow=workflow).token


def _counts(workflow: Any, since: Any) -> dict[str, Any]:
    from django.db.models import Max, Min

    from engine.models import NodeRun, Run

    runs = Run.objects.filter(workflow=workflow, created_at__gte=since)
    done = runs.filter(status="succeeded")
    span = done.aggregate(first=Min("created_at"), last=Max("finished_at"))
    return {
        "runs": runs.count(),
        "succeeded": done.count(),
        "failed": runs.exclude(status__in=["succeeded", "pending", "running", "waiting"]).count(),
        "node_runs": NodeRun.objects.filter(run__in=done, status="succeeded").count(),
        "first": span["first"],
        "last": span["last"],
    }


def _sustained(workflow: Any, since: Any, window: tuple[float, float]) -> float:
    """Runs finished per second within the window in which load was offered (wall-clock epoch seconds)."""
    import datetime as dt

    from engine.models import Run

    start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in window)
    finished = Run.objects.filter(
        workflow=workflow, created_at__gte=since, status="succeeded", finished_at__gte=start, finished_at__lte=end
    ).count()
    return finished / max(0.001, window[1] - window[0])


def run(args: argparse.Namespace) -> harness.Report:
    work = Path(tempfile.mkdtemp(prefix="ledgerline-bench-"))
    with harness.database(harness.database_name("webhook")) as db_url:
        env = harness.service_env(db_url, work / "data")
        harness.flush_redis(harness.REDIS_BROKER, harness.REDIS_LAYER)
        harness.use_env(env)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        stub_port, web_port = harness.free_port(), harness.free_port()
        workflow, token = _workflow(f"http://127.0.0.1:{stub_port}/orders")
        connection.close()
        hook = f"http://127.0.0.1:{web_port}/hooks/{token}/"
        with harness.Processes(work / "logs") as procs:
            procs.start("stub", [harness.PYTHON, "-m", "bench.stub", "--port", str(stub_port)], env)
            harness.wait_until(
                lambda: harness.http_ok(f"http://127.0.0.1:{stub_port}/count"), timeout=30, what="the stub"
            )
            harness.start_web(procs, env, web_port)
            harness.start_workers(procs, env, args.workers, args.threads)
            procs.check_alive()

            def order(prefix: str) -> Any:
                return lambda i: {"id": f"{prefix}-{i}", "order": f"PO-{prefix}-{i}", "total": "12.30"}

            if args.warmup_seconds > 0:
                warm_since = timezone.now()
                warm = post_json_load(
                    hook, order("warm"), rate=args.latency_rate, seconds=args.warmup_seconds, threads=4
                )
                _wait_succeeded(
                    workflow, warm_since, warm.statuses.get(202, 0), args.drain_seconds, "the warm-up's runs"
                )
            posts_before = _stub_posts(stub_port)
            since = timezone.now()

            latency = post_json_load(
                hook,
                order("lat"),
                rate=args.latency_rate,
                seconds=args.latency_seconds,
                threads=max(4, args.clients // 2),
            )
            _wait_succeeded(
                workflow, since, latency.statuses.get(202, 0), args.drain_seconds, "the latency phase's runs"
            )
            since_throughput = timezone.now()
            cpu_before = cpu.CpuSnapshot.take(procs)
            window_start = time.time()
            with cpu.SpeedProbe() as speed:
                load = post_json_load(hook, order("tp"), rate=args.rate, seconds=args.seconds, threads=args.clients)
            window_end = time.time()
            accepted = load.statuses.get(202, 0)
            try:
                _wait_succeeded(workflow, since_throughput, accepted, args.drain_seconds, "the throughput phase's runs")
            except TimeoutError as exc:
                print(exc)
            cpu_used = cpu.CpuSnapshot.take(procs).minus(cpu_before)
            procs.check_alive()
            counts = _counts(workflow, since_throughput)
            sustained = _sustained(workflow, since_throughput, (window_start, window_end))
            posts = _stub_posts(stub_port) - posts_before

    report = harness.Report("Webhook → map → HTTP POST → done (target 1)")
    report.add("webhook ack p50 (ms)", f"{latency.median:.1f}", f"at {args.latency_rate:g} req/s")
    p99 = latency.percentile(99)
    report.add("webhook ack p99 (ms)", f"{p99:.1f}", "< 50", p99 < 50)
    report.add("latency phase answers", _statuses(latency.statuses, latency.errors))
    report.add(
        "offered (webhooks/s)", f"{load.sent / max(load.seconds, 0.001):.1f}", f"{args.rate:g} for {args.seconds:g} s"
    )
    report.add("throughput phase answers", _statuses(load.statuses, load.errors))
    report.add("ack p99 under load (ms)", f"{load.percentile(99):.1f}")
    report.add("runs stored / succeeded / failed", f"{counts['runs']} / {counts['succeeded']} / {counts['failed']}")
    report.add("node runs succeeded (DB)", str(counts["node_runs"]), f"{3 * counts['succeeded']}")
    report.add("stub received POSTs (both phases)", str(posts))
    report.add("completed runs/s while load offered", f"{sustained:.1f}", "≥ 300", sustained >= 300)
    if counts["first"] and counts["last"]:
        overall = counts["succeeded"] / max(0.001, (counts["last"] - counts["first"]).total_seconds())
        report.add("completed runs/s, first stored → last done", f"{overall:.1f}", "≥ 300", overall >= 300)
    for name, ms in cpu_used.per_item_ms(counts["succeeded"]).items():
        report.add(f"CPU per completed run, {name} (ms)", f"{ms:.2f}")
    report.add(cpu.SPEED_MEASURE, speed.summary())
    for name, mb in sorted(procs.peaks.items()):
        report.add(f"peak RSS {name} (MiB)", f"{mb:.0f}")
    report.notes.append(
        f"{args.workers} worker processes x {args.threads} threads, 1 uvicorn, stub and load "
        "generator on the same 2 cores; "
        + (
            f"{args.warmup_seconds:g} s of webhooks run to completion first (not measured)"
            if args.warmup_seconds > 0
            else "no warm-up: the latency phase starts while the workers start"
        )
    )
    return report


def _wait_succeeded(workflow: Any, since: Any, count: int, timeout: float, what: str) -> None:
    """Wait until ``count`` runs of ``workflow`` stored since ``since`` have succeeded."""
    harness.wait_until(lambda: _counts(workflow, since)["succeeded"] >= count, timeout=timeout, what=what, every=0.5)


def _statuses(statuses: dict[int, int], errors: int) -> str:
    text = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    return text + (f", errors: {errors}" if errors else "")


def _stub_posts(port: int) -> int:
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=5) as response:
        return int(json.loads(response.read())["posts"])
