"""Serializers of workflows, versions, templates and connections."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.sdk.registry import connection_kinds
from designer.models import Workflow, WorkflowVersion
from engine.models import Run
from engine.webhooks import webhook_url


class VersionSummarySerializer(serializers.ModelSerializer[WorkflowVersion]):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowVersion
        fields = ["number", "message", "created_at", "created_by"]

    def get_created_by(self, obj: WorkflowVersion) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class VersionSerializer(VersionSummarySerializer):
    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "document"]


class SaveVersionSerializer(serializers.Serializer[Any]):
    document = serializers.JSONField()
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    base_version = serializers.IntegerField(required=False, allow_null=True, default=None)


class DocumentSerializer(serializers.Serializer[Any]):
    document = serializers.JSONField()


class WorkflowSerializer(serializers.ModelSerializer[Workflow]):
    latest_version = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()
    webhooks = serializers.SerializerMethodField()
    document = serializers.JSONField(write_only=True, required=False)

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "description",
            "is_template",
            "template_info",
            "active",
            "created_at",
            "updated_at",
            "latest_version",
            "last_run",
            "webhooks",
            "document",
        ]
        read_only_fields = ["id", "is_template", "template_info", "created_at", "updated_at"]

    def get_latest_version(self, obj: Workflow) -> dict[str, Any] | None:
        latest = obj.latest_version()
        return VersionSummarySerializer(latest).data if latest else None

    def get_last_run(self, obj: Workflow) -> dict[str, Any] | None:
        run = (
            Run.objects.filter(workflow=obj, parent__isnull=True)
            .order_by("-created_at")
            .values("id", "status", "created_at")
            .first()
        )
        return {"id": str(run["id"]), "status": run["status"], "created_at": run["created_at"]} if run else None

    def get_webhooks(self, obj: Workflow) -> list[dict[str, str]]:
        return [{"node_id": endpoint.node_id, "url": webhook_url(endpoint)} for endpoint in obj.webhooks.all()]


class TemplateSerializer(serializers.ModelSerializer[Workflow]):
    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "template_info", "template_key"]


class CloneSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    connections = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text='The connection to use per kind, e.g. {"xero": "<connection id>"}; by default the '
        "organisation's only connection of each kind.",
    )


class ConnectionSerializer(serializers.ModelSerializer[Connection]):
    """Secrets are write-only: the API only ever says which ones are set."""

    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True), write_only=True, required=False
    )
    secrets_set = serializers.SerializerMethodField()
    breaker = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = [
            "id",
            "kind",
            "name",
            "base_url",
            "settings",
            "status",
            "status_detail",
            "secrets",
            "secrets_set",
            "breaker",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "status_detail", "created_at", "updated_at"]

    def get_secrets_set(self, obj: Connection) -> list[str]:
        return obj.secret_names()

    def get_breaker(self, obj: Connection) -> dict[str, Any]:
        """The shared circuit breaker: ``closed``, ``open`` (with seconds to the next try) or ``half_open``."""
        state, wait = StoredConnection(obj).throttle().breaker_state()
        return {"state": state, "retry_in_seconds": round(wait, 1)}

    def validate_kind(self, value: str) -> str:
        if value not in connection_kinds:
            known = ", ".join(cls.kind for cls in connection_kinds.all())
            raise serializers.ValidationError(f"unknown kind {value!r}; known kinds: {known}")
        if self.instance is not None and value != self.instance.kind:
            raise serializers.ValidationError("the kind of a connection cannot change; create a new connection")
        return value

    def validate_secrets(self, value: dict[str, Any]) -> dict[str, Any]:
        kind = self.initial_data.get("kind") or (self.instance.kind if self.instance else "")
        if kind in connection_kinds:
            allowed = set(connection_kinds.get_class(kind).secret_fields) | {
                "access_token",
                "refresh_token",
                "access_token_expires_at",
            }
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise serializers.ValidationError(f"{kind} connections have no secret {unknown}; use {sorted(allowed)}")
        return value

    def create(self, validated_data: dict[str, Any]) -> Connection:
        secrets = validated_data.pop("secrets", {})
        connection = Connection(**validated_data)
        connection.set_secrets(secrets)
        connection.save()
        return connection

    def update(self, instance: Connection, validated_data: dict[str, Any]) -> Connection:
        secrets = validated_data.pop("secrets", None)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        if secrets is not None:
            instance.set_secrets({**instance.get_secrets(), **secrets})
        instance.save()
        return instance
