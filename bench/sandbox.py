"""The local API sandboxes in a process of their own, for the benchmarks.

.venv/bin/python -m bench.sandbox --port 8765      # /sandbox/<system>/… with underscore headers kept

daphne drops Walmart's underscore headers (see :mod:`connectors.sdk.sandbox_server`),
so a benchmark that talks to the Walmart sandbox serves it here instead; its
in-memory orders then count against this process, not against the engine's.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description="the local API sandboxes on a port of their own")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledgerline.settings")
    import django

    django.setup()
    from connectors.sdk.sandbox_server import SandboxServer

    server = SandboxServer(f"http://127.0.0.1:{args.port}")
    server.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
