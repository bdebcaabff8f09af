"""``python -m bench <target>``: run one benchmark, print its table, append it to bench/RESULTS.md.

Targets: webhook (1), overhead (2), xero (3), backfill (4), embedded (5). ``--no-record``
prints without recording (the smoke test uses it).
"""

from __future__ import annotations

import argparse
import importlib

from bench import harness

TARGETS = {
    "backfill": "bench.backfill",
    "embedded": "bench.embedded",
    "xero": "bench.xero_posting",
    "webhook": "bench.webhook_flow",
    "overhead": "bench.engine_overhead",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    targets = parser.add_subparsers(dest="target", required=True)
    modules = {}
    for name, module_name in TARGETS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        module.add_arguments(targets.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))
    args = parser.parse_args()
    report = modules[args.target].run(args)
    harness.publish(report, record=not args.no_record)


if __name__ == "__main__":
    main()
