"""Telling the finance contact about problems only they can fix (an account code or tax type missing in the books)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.rules.models import FinanceAlert
from monitoring.services import deliver


def alert_finance(
    *, workflow_id: str, run_id: str, key: str, message: str, emails: list[str], webhook_url: str
) -> FinanceAlert | None:
    """Send ``message`` once per workflow, problem ``key`` and day; the alert, or None if already sent today."""
    today: dt.date = timezone.now().date()
    try:
        with transaction.atomic():
            alert = FinanceAlert.objects.create(
                workflow_id=workflow_id, key=key[:200], day=today, message=message, run_id=str(run_id)[:64]
            )
    except IntegrityError:
        return None
    body = (
        f"{message}\n\nRuns of this workflow stop at this step until it is fixed; they wait in the "
        f"dead-letter queue and can be replayed from there.\n\nOpen Ledgerline: {settings.LEDGERLINE_PUBLIC_URL}/\n"
    )
    payload: dict[str, Any] = {
        "kind": "finance",
        "key": key,
        "message": message,
        "workflow": workflow_id,
        "run": run_id,
    }
    delivery = deliver(
        f"[Ledgerline] Finance: {message}"[:200], body, emails=emails, webhook_url=webhook_url, payload=payload
    )
    FinanceAlert.objects.filter(pk=alert.pk).update(delivery=delivery)
    alert.delivery = delivery
    return alert
