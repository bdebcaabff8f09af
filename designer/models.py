"""Workflows and their immutable versions."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from orgs.models import Organization


class Workflow(models.Model):
    """A named flow; what runs is its latest version while it is active."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workflows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    #: Templates are cloned, never run.
    is_template = models.BooleanField(default=False)
    #: What the templates gallery shows: {"summary", "needs": [...], "creates": [...]}.
    template_info = models.JSONField(default=dict, blank=True)
    #: Stable key of a template loaded from fixtures, so loading twice updates it.
    template_key = models.CharField(max_length=100, blank=True, default="")
    #: Inactive workflows are not polled, scheduled or fed by webhooks.
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "is_template"])]

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> WorkflowVersion | None:
        return self.versions.order_by("-number").first()


class WorkflowVersion(models.Model):
    """One saved state of a workflow's document. Never changed after it is saved."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    message = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="unique_version_number")]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("workflow versions are immutable: save a new version instead")
        super().save(*args, **kwargs)
