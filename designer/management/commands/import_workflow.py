"""``manage.py import_workflow <file>``: create a workflow from an export file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from designer.errors import InvalidDocument, InvalidImport
from designer.services import workflow_import
from orgs.models import Organization
from orgs.services import default_organization


class Command(BaseCommand):
    help = "Import a workflow from a JSON export file into an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--organization", help="organisation slug (default: the default organisation)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(Path(options["file"]).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        org = default_organization()
        if options["organization"]:
            org = Organization.objects.filter(slug=options["organization"]).first() or org
        try:
            workflow = workflow_import(data=data, organization=org)
        except InvalidImport as exc:
            raise CommandError(exc.message) from None
        except InvalidDocument as exc:
            lines = "\n".join(f"  {i.get('node') or '-'} {i.get('field') or ''}: {i['message']}" for i in exc.issues)
            raise CommandError(f"the workflow is not valid on this server:\n{lines}") from None
        self.stdout.write(f"Imported {workflow.name!r} as {workflow.pk}")
