"""Stored connections to remote systems, with their secrets encrypted at rest."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from connectors.sdk.crypto import decrypt_json, encrypt_json
from orgs.models import Organization


class Connection(models.Model):
    """One account on a remote system (a Walmart seller, a Xero organisation ...).

    Workflow documents refer to a connection by id only; the secrets live here,
    encrypted, and are never serialised by the API.
    """

    class Status(models.TextChoices):
        UNTESTED = "untested", "Not tested yet"
        CONNECTED = "connected", "Connected"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        ERROR = "error", "Error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    base_url = models.URLField(max_length=500)
    settings = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNTESTED)
    status_detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_connection_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def get_secrets(self) -> dict[str, Any]:
        return decrypt_json(self.secrets_encrypted)

    def set_secrets(self, values: dict[str, Any]) -> None:
        self.secrets_encrypted = encrypt_json({k: v for k, v in values.items() if v is not None})

    def secret_names(self) -> list[str]:
        """Which secrets are set (the names only, for the API)."""
        return sorted(self.get_secrets())
