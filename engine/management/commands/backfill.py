"""``manage.py backfill <workflow> <trigger node> --since 2026-01-01``: past events into runs, with progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from designer.models import Workflow
from engine.backfill import Progress, run_backfill


class Command(BaseCommand):
    help = "Start runs for every event a polling trigger finds since a date (orders of the last months, say)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workflow", help="workflow id")
        parser.add_argument("node", help="id of the polling trigger node (e.g. the Walmart orders poll)")
        parser.add_argument("--since", required=True, help="ISO date or date-time (UTC when no zone is given)")
        parser.add_argument("--until", help="end of the range for the progress estimate (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        workflow = Workflow.objects.filter(pk=options["workflow"]).first()
        if workflow is None:
            raise CommandError(f"no workflow {options['workflow']}")

        def moment(text: str | None) -> dt.datetime | None:
            if text is None:
                return None
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                raise CommandError(f"{text!r} is not an ISO date (2026-01-31 or 2026-01-31T12:00)") from None
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

        def show(progress: Progress) -> None:
            self.stdout.write(f"[{progress.status}] page {progress.pages}: {progress.line()}")
            self.stdout.flush()

        since = moment(options["since"])
        assert since is not None  # a required option
        try:
            done = run_backfill(workflow, options["node"], since, moment(options["until"]), on_progress=show)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Backfill done: {done.line()}"))
