"""``manage.py runscheduler``: the time-driven triggers and the stalled-run sweep (scale-out mode)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engine import scheduler
from engine.worker import SchedulerThread


class Command(BaseCommand):
    help = "Poll triggers, fire schedules and resume stalled runs, every few seconds (or once with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            report = scheduler.tick()
            self.stdout.write(
                f"polled {report.polled}, started {report.runs_started}, fired {report.schedules_fired}, "
                f"resumed {report.resumed}, errors {len(report.errors)}"
            )
            return
        thread = SchedulerThread()
        thread.start()
        try:
            thread.join()
        except KeyboardInterrupt:
            thread.stop()
