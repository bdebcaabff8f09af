"""``manage.py bootstrap``: everything a fresh install needs, safe to run on every start.

Migrates, creates the default organisation, loads templates and demo data,
points demo connections at the local sandboxes, and creates the admin login
(printed once, when it is created, with an API token).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rest_framework.authtoken.models import Token

from connectors.sdk.models import Connection
from connectors.sdk.registry import connection_kinds
from designer.fixtures_loader import fixtures_dir, load_rule_fixtures, load_workflow_files
from orgs.models import Membership, Organization
from orgs.services import default_organization


class Command(BaseCommand):
    help = "Migrate, load templates and demo data, and create the admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="set this password (default: a random one, printed once)")
        parser.add_argument("--no-demo", action="store_true", help="templates only: no demo workflows or connections")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = 0 if options["quiet"] else 1
        call_command("migrate", interactive=False, verbosity=0)
        org = default_organization()
        self._load(org, verbosity, demo=not options["no_demo"])
        self._admin(org, options["username"], options["password"], verbosity)

    def _load(self, org: Organization, verbosity: int, *, demo: bool) -> None:
        report = load_workflow_files(organization=org, folder=fixtures_dir() / "templates", as_templates=True)
        load_rule_fixtures(organization=org, folder=fixtures_dir() / "rules", demo_rates=demo)
        if demo:
            self._demo_connections(org)
            demo_report = load_workflow_files(organization=org, folder=fixtures_dir() / "demo", as_templates=False)
            report.loaded += demo_report.loaded
            report.skipped.update(demo_report.skipped)
        if verbosity:
            self.stdout.write(f"Loaded {len(report.loaded)} templates and demo workflows.")
            for key, reason in report.skipped.items():
                self.stdout.write(self.style.WARNING(f"Skipped {key}: {reason}"))

    def _demo_connections(self, org: Organization) -> None:
        """Connections to the local sandboxes, named as the demo workflows expect."""
        path = fixtures_dir() / "demo_connections.json"
        if not path.exists():
            return
        for entry in json.loads(path.read_text()):
            if entry["kind"] not in connection_kinds:
                continue
            base_url = (
                entry["base_url"]
                .replace("{sandbox_url}", settings.LEDGERLINE_SANDBOX_URL or settings.LEDGERLINE_PUBLIC_URL)
                .replace("{public_url}", settings.LEDGERLINE_PUBLIC_URL)
            )
            connection, created = Connection.objects.get_or_create(
                organization=org,
                name=entry["name"],
                defaults={"kind": entry["kind"], "base_url": base_url, "settings": entry.get("settings", {})},
            )
            if created or connection.base_url != base_url:
                connection.base_url = base_url
                connection.set_secrets({**connection.get_secrets(), **entry.get("secrets", {})})
                connection.save()

    def _admin(self, org: Organization, username: str, password: str | None, verbosity: int) -> None:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        created = user is None
        if user is None:
            password = password or secrets.token_urlsafe(12)
            user = users.objects.create_superuser(username=username, email="", password=password)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(organization=org, user=user, defaults={"role": Membership.Role.ADMIN})
        token, _ = Token.objects.get_or_create(user=user)
        if created and verbosity:
            self.stdout.write(self.style.SUCCESS("Admin login created (shown once):"))
            self.stdout.write(f"  user:      {username}")
            self.stdout.write(f"  password:  {password}")
            self.stdout.write(f"  API token: {token.key}")
