"""Engine overhead per node: how long the runner spends around a node that does nothing.

Runs N runs of a chain of pass-through nodes through ``engine.runner.advance_run``
in this process (no broker round trips), on the configured database, and
reports the median and p95 time per node, minus the nodes' own work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerline_bench \\
      .venv/bin/python bench/engine_overhead.py --runs 200 --nodes 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledgerline.settings")
os.environ.setdefault("LEDGERLINE_EXTRA_APPS", "tests.support.nodes_app")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5, help="pass-through nodes after the trigger")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from designer.services import workflow_create
    from engine import runner
    from engine.dispatch import replace_sender
    from engine.models import Run
    from orgs.services import default_organization
    from tests.support.flows import chain, manual, node

    call_command("migrate", verbosity=0)
    document = chain(manual(), *[node(f"n{i}", "test.count") for i in range(args.nodes)])
    workflow = workflow_create(organization=default_organization(), name=f"bench {time.time()}", document=document)
    version = workflow.latest_version()
    per_node_ms: list[float] = []
    with replace_sender(lambda kind, argument, delay: None):
        from engine.services import start_run

        for index in range(args.runs):
            run, _ = start_run(workflow_version=version, input={"n": index})
            started = time.perf_counter()
            runner.advance_run(str(run.pk))
            elapsed = (time.perf_counter() - started) * 1000
            node_work = sum(nr.get("duration_ms") or 0 for nr in [])  # pass-through nodes do no work
            per_node_ms.append((elapsed - node_work) / (args.nodes + 1))
        assert Run.objects.filter(workflow=workflow, status="succeeded").count() == args.runs
    per_node_ms.sort()
    print(f"database: {connection.vendor}; runs: {args.runs}; nodes per run: {args.nodes + 1}")
    print(
        f"engine overhead per node: median {statistics.median(per_node_ms):.2f} ms, "
        f"p95 {per_node_ms[int(len(per_node_ms) * 0.95) - 1]:.2f} ms"
    )
    print(f"runs per second (one process, no broker): {args.runs / (sum(per_node_ms) * (args.nodes + 1) / 1000):.1f}")


if __name__ == "__main__":
    main()
