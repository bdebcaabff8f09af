"""Target 2: engine overhead per node, median (target ≤ 2 ms).

Runs N runs of a manual trigger and a chain of pass-through nodes through
``engine.runner.advance_run`` in this process (no broker round trips) on a fresh
PostgreSQL database, and reports the median and p95 time per node: the nodes
themselves do nothing, so what is measured is the engine around them.
``--profile`` prints where the time goes (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench import harness


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5, help="pass-through nodes after the trigger")
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")


def measure(runs: int, nodes: int, profile: bool = False) -> list[float]:
    from designer.services import workflow_create
    from engine import runner
    from engine.dispatch import replace_sender
    from engine.models import Run
    from engine.services import start_run
    from orgs.services import default_organization
    from tests.support.flows import chain, manual, node

    document = chain(manual(), *[node(f"n{i}", "test.count") for i in range(nodes)])
    workflow = workflow_create(organization=default_organization(), name=f"bench {time.time()}", document=document)
    version = workflow.latest_version()
    per_node_ms: list[float] = []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    with replace_sender(lambda kind, argument, delay: None):
        for index in range(runs):
            run, _ = start_run(workflow_version=version, input={"n": index})
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            runner.advance_run(str(run.pk))
            elapsed = (time.perf_counter() - started) * 1000
            if profiler:
                profiler.disable()
            per_node_ms.append(elapsed / (nodes + 1))  # pass-through nodes do no work of their own
    assert Run.objects.filter(workflow=workflow, status="succeeded").count() == runs
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return sorted(per_node_ms)


def run(args: argparse.Namespace) -> harness.Report:
    work = Path(tempfile.mkdtemp(prefix="ledgerline-bench-"))
    with harness.database(harness.database_name("overhead")) as db_url:
        env = harness.service_env(
            db_url,
            work / "data",
            BROKER_URL="stub://",
            CHANNEL_LAYER_URL="memory://",
            LEDGERLINE_SHARED_STATE_URL="memory://",
        )
        harness.use_env(env)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        measure(min(20, args.runs), args.nodes)  # warm-up: imports, caches, the first connection
        per_node = measure(args.runs, args.nodes, args.profile)
        connection.close()
    median = statistics.median(per_node)
    p95 = per_node[max(0, int(len(per_node) * 0.95) - 1)]
    report = harness.Report("Engine overhead per node (target 2)")
    report.add("runs x nodes", f"{args.runs} x {args.nodes + 1}")
    report.add("median per node (ms)", f"{median:.2f}", "≤ 2", median <= 2)
    report.add("p95 per node (ms)", f"{p95:.2f}")
    report.add("runs/s (1 process, no broker)", f"{1000 / (median * (args.nodes + 1)):.1f}")
    report.notes.append("advance_run in one process on PostgreSQL; start_run is outside the measured time")
    return report
