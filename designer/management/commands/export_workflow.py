"""``manage.py export_workflow <id>``: print a workflow's export JSON (or write it with --output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from designer.models import Workflow
from designer.services import workflow_export


class Command(BaseCommand):
    help = "Export a workflow's latest version as a portable JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workflow_id")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workflow = Workflow.objects.get(pk=options["workflow_id"])
        except (Workflow.DoesNotExist, ValidationError):
            raise CommandError(f"no workflow {options['workflow_id']}") from None
        text = json.dumps(workflow_export(workflow), indent=2)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n")
        else:
            self.stdout.write(text)
