"""``manage.py serve``: the ASGI server, plus the worker and scheduler in embedded mode."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from daphne.cli import CommandLineInterface
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from connectors.sdk.sandbox_server import SandboxServer
from engine.worker import SchedulerThread, start_embedded_worker


def seed_sandboxes() -> None:
    """Give the embedded demo data: each connector's sandbox may define ``control.seed_demo()``."""
    for config in apps.get_app_configs():
        module = f"{config.name}.sandbox.control"
        if config.name.startswith("connectors.") and find_spec(f"{config.name}.sandbox") and find_spec(module):
            seed = getattr(import_module(module), "seed_demo", None)
            if seed is not None:
                seed()


def start_sandbox_server() -> SandboxServer | None:
    """The sandboxes' own server at ``LEDGERLINE_SANDBOX_URL`` (see :mod:`connectors.sdk.sandbox_server`)."""
    if not settings.LEDGERLINE_SANDBOX_URL:
        return None
    server = SandboxServer(settings.LEDGERLINE_SANDBOX_URL)
    server.start()
    return server


class Command(BaseCommand):
    help = "Serve Ledgerline over HTTP and websockets (with the in-process worker in embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-scheduler", action="store_true", help="do not poll triggers in this process")
        parser.add_argument("--worker-threads", type=int, default=2)

    def _start_sandbox_server(self) -> SandboxServer | None:
        try:
            server = start_sandbox_server()
        except OSError as exc:
            self.stderr.write(
                f"The local sandboxes cannot listen on {settings.LEDGERLINE_SANDBOX_URL} ({exc.strerror}): "
                "set LEDGERLINE_SANDBOX_URL to a free address, or empty to serve them on the public URL only."
            )
            return None
        if server is not None:
            self.stdout.write(f"Local API sandboxes on {settings.LEDGERLINE_SANDBOX_URL}/sandbox/")
        return server

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if settings.LEDGERLINE_EMBEDDED_WORKER:
            worker = start_embedded_worker(options["worker_threads"])
            seed_sandboxes()
        scheduler = None
        if not options["no_scheduler"]:
            scheduler = SchedulerThread()
            scheduler.start()
        sandboxes = self._start_sandbox_server()
        self.stdout.write(f"Ledgerline is serving on http://{options['host']}:{options['port']}/", ending="\n")
        self.stdout.flush()
        try:
            # Verbosity 0: no access log. Its lines carry every path, webhook addresses included,
            # and a webhook's address is what lets a sender deliver to it.
            CommandLineInterface().run(
                [
                    "-b", options["host"], "-p", str(options["port"]), "-v", "0", "--proxy-headers",
                    "ledgerline.asgi:application",
                ]
            )  # fmt: skip
        finally:
            if sandboxes is not None:
                sandboxes.stop()
            if scheduler is not None:
                scheduler.stop()
            if worker is not None:
                worker.stop()
