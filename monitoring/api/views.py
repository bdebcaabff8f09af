"""``/api/alert-rules/`` and ``/api/alerts/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from designer.models import Workflow
from monitoring.models import Alert, AlertRule
from orgs.services import organization_for


class AlertRuleSerializer(serializers.ModelSerializer[AlertRule]):
    emails = serializers.ListField(child=serializers.EmailField(), required=False)

    class Meta:
        model = AlertRule
        fields = ["id", "name", "kind", "workflow", "params", "emails", "webhook_url", "active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_workflow(self, value: Workflow | None) -> Workflow | None:
        if value is not None and value.organization_id != organization_for(self.context["request"].user).pk:
            raise serializers.ValidationError("no such workflow")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("emails", getattr(self.instance, "emails", None)) and not attrs.get(
            "webhook_url", getattr(self.instance, "webhook_url", "")
        ):
            raise serializers.ValidationError("give at least one email address or a webhook URL to reach people")
        threshold = (attrs.get("params") or {}).get("threshold")
        if threshold is not None and not 0 < float(threshold) <= 1:
            raise serializers.ValidationError({"params": "threshold is a fraction between 0 and 1, e.g. 0.2"})
        return attrs


class AlertSerializer(serializers.ModelSerializer[Alert]):
    rule = serializers.CharField(source="rule.name")
    kind = serializers.CharField(source="rule.kind")

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "kind",
            "key",
            "status",
            "message",
            "details",
            "opened_at",
            "last_seen_at",
            "resolved_at",
            "delivery",
        ]


class AlertRuleViewSet(viewsets.ModelViewSet[AlertRule]):
    serializer_class = AlertRuleSerializer

    def get_queryset(self) -> QuerySet[AlertRule]:
        return AlertRule.objects.filter(organization=organization_for(self.request.user)).order_by("name")

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organization=organization_for(self.request.user))


class AlertViewSet(viewsets.ReadOnlyModelViewSet[Alert]):
    serializer_class = AlertSerializer

    def get_queryset(self) -> QuerySet[Alert]:
        alerts = Alert.objects.filter(rule__organization=organization_for(self.request.user)).select_related("rule")
        status = self.request.query_params.get("status")
        return alerts.filter(status=status) if status else alerts
