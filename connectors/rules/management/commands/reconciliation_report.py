"""``manage.py reconciliation_report --start 2026-12-01 --end 2026-12-07``: the report as JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.rules.reconciliation import reconcile
from orgs.models import Organization
from orgs.services import default_organization


class Command(BaseCommand):
    help = "Walmart totals against Xero totals per day and currency, with every order that differs (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD (UTC)")
        parser.add_argument("--end", required=True, help="last day, YYYY-MM-DD (UTC)")
        parser.add_argument("--organization", default="", help="organisation slug (default: the default one)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start, end = dt.date.fromisoformat(options["start"]), dt.date.fromisoformat(options["end"])
        except ValueError:
            raise CommandError("--start and --end are days: YYYY-MM-DD") from None
        if end < start:
            raise CommandError("--end must be on or after --start")
        org = Organization.objects.filter(slug=options["organization"]).first() if options["organization"] else None
        report = reconcile((org or default_organization()).pk, start, end)
        self.stdout.write(json.dumps(report, indent=2))
        if report["unexplained"]:
            self.stderr.write(self.style.WARNING(f"{report['unexplained']} unexplained differences"))
