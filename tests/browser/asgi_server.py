"""The ASGI server of the browser tests: the sandboxes' demo data, then daphne.

``python -m tests.browser.asgi_server --port N`` serves ``ledgerline.asgi`` like
``manage.py serve`` does, without the embedded worker and scheduler (the tests
run a separate worker on the broker), but with the sandboxes seeded as
``make run`` would seed them.
"""

from __future__ import annotations

import argparse
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledgerline.settings")
    django.setup()

    from daphne.cli import CommandLineInterface

    from engine.management.commands.serve import seed_sandboxes, start_sandbox_server

    seed_sandboxes()
    start_sandbox_server()
    CommandLineInterface().run(["-b", "127.0.0.1", "-p", str(port), "--proxy-headers", "ledgerline.asgi:application"])


if __name__ == "__main__":
    main()
