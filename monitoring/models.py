"""Alert rules and the incidents they raise (one incident, one alert)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from orgs.models import Organization


class AlertRule(models.Model):
    """When to tell people that money is stuck, and how to reach them."""

    class Kind(models.TextChoices):
        DEAD_LETTER = "dead_letter", "A run is in the dead-letter queue"
        FAILURE_RATE = "failure_rate", "The failure rate is above a threshold"
        CIRCUIT_OPEN = "circuit_open", "A connection's circuit breaker is open"
        NEEDS_REAUTH = "needs_reauth", "A connection needs re-authorisation"
        POLL_STALE = "poll_stale", "No successful poll for a while"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_rules")
    #: None: every workflow of the organisation.
    workflow = models.ForeignKey(
        "designer.Workflow", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: ``failure_rate``: ``{"threshold": 0.2, "window_minutes": 15, "min_runs": 5}``;
    #: ``poll_stale``: ``{"minutes": 30}``.
    params = models.JSONField(default=dict, blank=True)
    emails = models.JSONField(default=list, blank=True)
    webhook_url = models.URLField(blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One incident: opened once, kept while the condition holds, resolved when it ends."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    #: What the incident is about, e.g. ``workflow:<id>`` or ``connection:<id>``.
    key = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    #: How the notification went: ``{"email": "sent" | "failed: …", "webhook": …}``.
    delivery = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"], condition=Q(status="open"), name="one_open_alert_per_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"
