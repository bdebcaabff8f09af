"""Organisations: the owners of workflows and connections."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organization(models.Model):
    """A business whose books Ledgerline keeps in sync."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    #: ISO 4217 code of the organisation's base (books) currency.
    base_currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in an organisation."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        ANALYST = "analyst", "Analyst"
        VIEWER = "viewer", "Viewer"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANALYST)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.organization_id} as {self.role}"
