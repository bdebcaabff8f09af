"""Loading templates and demo workflows from ``fixtures/`` (idempotent: loading twice updates)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from designer.models import Workflow, WorkflowVersion
from designer.services import document_issues
from engine.webhooks import sync_webhook_endpoints
from orgs.models import Organization

logger = logging.getLogger(__name__)


def fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def load_workflow_files(*, organization: Organization, folder: Path, as_templates: bool) -> LoadReport:
    """Create or update one workflow per ``*.json`` file in ``folder``.

    A file: ``{"key", "name", "description", "template_info", "document"}``.
    A file whose document is invalid on this server (e.g. its connector is not
    installed) is skipped with the reason, never half-loaded.
    """
    report = LoadReport()
    for path in sorted(folder.glob("*.json")):
        data: dict[str, Any] = json.loads(path.read_text())
        key = data.get("key") or path.stem
        issues = document_issues(data["document"])
        if issues:
            report.skipped[key] = "; ".join(f"{i.get('node') or '-'}: {i['message']}" for i in issues[:3])
            continue
        _upsert(organization, key, data, as_templates)
        report.loaded.append(key)
    return report


@transaction.atomic
def _upsert(organization: Organization, key: str, data: dict[str, Any], as_template: bool) -> Workflow:
    workflow, created = Workflow.objects.get_or_create(
        organization=organization,
        template_key=key,
        is_template=as_template,
        defaults={"name": data["name"], "description": data.get("description", "")},
    )
    workflow.name = data["name"]
    workflow.description = data.get("description", "")
    workflow.template_info = data.get("template_info", {})
    workflow.active = bool(data.get("active", not as_template))
    workflow.save()
    latest = workflow.latest_version()
    if latest is None or latest.document != data["document"]:
        WorkflowVersion.objects.create(
            workflow=workflow,
            number=(latest.number + 1) if latest else 1,
            document=data["document"],
            message="Loaded from fixtures" if created else "Updated from fixtures",
        )
        sync_webhook_endpoints(workflow=workflow, document=data["document"])
    return workflow


def load_rule_fixtures(*, organization: Organization, folder: Path, demo_rates: bool) -> list[str]:
    """The mapping tables the templates name (created when missing, never overwriting an analyst's edits),
    and, for the demo, a week of illustrative USD→CAD/MXN rates up to today."""
    from connectors.rules.models import CurrencyRate, MappingEntry, MappingTable

    created: list[str] = []
    path = folder / "mapping-tables.json"
    for spec in json.loads(path.read_text()) if path.exists() else []:
        table, new = MappingTable.objects.get_or_create(
            organization=organization,
            name=spec["name"],
            defaults={
                "kind": spec.get("kind", "other"),
                "missing_policy": spec.get("missing_policy", "review"),
                "default_value": spec.get("default_value", ""),
            },
        )
        if new:
            MappingEntry.objects.bulk_create(
                [MappingEntry(table=table, key=key, value=value) for key, value in spec.get("entries", {}).items()]
            )
            created.append(table.name)
    if demo_rates:
        today = timezone.now().date()
        for days_ago in range(7):
            for currency, rate in (("CAD", "1.3912"), ("MXN", "17.2045")):
                CurrencyRate.objects.get_or_create(
                    organization=organization,
                    date=today - dt.timedelta(days=days_ago),
                    from_currency="USD",
                    to_currency=currency,
                    defaults={"rate": Decimal(rate), "source": "demo rates (illustrative, not market data)"},
                )
    return created
