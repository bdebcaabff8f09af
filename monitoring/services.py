"""Evaluating alert rules and notifying people, once per incident."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.conditions import CONDITIONS
from monitoring.models import Alert, AlertRule

logger = logging.getLogger(__name__)

#: Seconds a webhook receiver has to answer an alert.
WEBHOOK_TIMEOUT = 10


@dataclass
class EvaluationReport:
    opened: int = 0
    resolved: int = 0
    ongoing: int = 0


def evaluate_rules(now: Any = None) -> EvaluationReport:
    """Open an alert for each new incident, keep ongoing ones quiet, resolve the ones that ended."""
    now = now or timezone.now()
    report = EvaluationReport()
    for rule in AlertRule.objects.filter(active=True).select_related("organization"):
        try:
            incidents = CONDITIONS[AlertRule.Kind(rule.kind)](rule, now)
        except Exception:
            logger.exception("alert rule %s could not be evaluated", rule.pk)
            continue
        open_alerts = {alert.key: alert for alert in rule.alerts.filter(status=Alert.Status.OPEN)}
        for key, (message, details) in incidents.items():
            if key in open_alerts:
                Alert.objects.filter(pk=open_alerts[key].pk).update(last_seen_at=now, message=message, details=details)
                report.ongoing += 1
                continue
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(rule=rule, key=key, message=message, details=details, last_seen_at=now)
            except IntegrityError:
                continue  # another scheduler opened it a moment ago
            notify(alert)
            report.opened += 1
        for key, alert in open_alerts.items():
            if key not in incidents:
                Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.RESOLVED, resolved_at=now)
                report.resolved += 1
    return report


def notify(alert: Alert) -> None:
    """Send the alert by email and webhook; how each went is stored on the alert."""
    rule = alert.rule
    payload = {
        "alert": alert.pk, "rule": rule.name, "kind": rule.kind, "key": alert.key,
        "message": alert.message, "details": alert.details, "opened_at": alert.opened_at.isoformat(),
    }  # fmt: skip
    subject = f"[Ledgerline] {rule.name}: {alert.message}"[:200]
    delivery = deliver(subject, _body(alert), emails=list(rule.emails), webhook_url=rule.webhook_url, payload=payload)
    Alert.objects.filter(pk=alert.pk).update(delivery=delivery)


def deliver(subject: str, body: str, *, emails: list[str], webhook_url: str, payload: dict[str, Any]) -> dict[str, str]:
    """Mail ``body`` to ``emails`` (Django's mail settings) and POST ``payload`` to ``webhook_url``.

    Never raises: how each channel went comes back as ``{"email": "sent" | "failed: …", "webhook": …}``.
    """
    delivery: dict[str, str] = {}
    if emails:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)
            delivery["email"] = "sent"
        except Exception as exc:  # noqa: BLE001 - a mail server problem is recorded, not raised
            delivery["email"] = f"failed: {type(exc).__name__}"
    if webhook_url:
        try:
            response = requests.post(webhook_url, json=payload, timeout=WEBHOOK_TIMEOUT)
            delivery["webhook"] = "sent" if response.ok else f"failed: HTTP {response.status_code}"
        except requests.RequestException as exc:
            delivery["webhook"] = f"failed: {type(exc).__name__}"
    return delivery


def _body(alert: Alert) -> str:
    return (
        f"{alert.message}\n\nRule: {alert.rule.name} ({alert.rule.get_kind_display()})\n"
        f"Opened: {alert.opened_at:%Y-%m-%d %H:%M} UTC\n\n"
        f"Open Ledgerline to see the runs: {settings.LEDGERLINE_PUBLIC_URL}/\n"
    )
