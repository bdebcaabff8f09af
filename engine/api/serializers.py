"""Serializers of runs, node runs and events."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from engine.models import NodeRun, Run


class NodeRunSerializer(serializers.ModelSerializer[NodeRun]):
    duration_ms = serializers.SerializerMethodField()

    class Meta:
        model = NodeRun
        fields = [
            "node_id",
            "node_type",
            "status",
            "attempts",
            "waits",
            "input",
            "output",
            "error",
            "logs",
            "started_at",
            "finished_at",
            "next_attempt_at",
            "duration_ms",
        ]

    def get_duration_ms(self, obj: NodeRun) -> float | None:
        if obj.started_at is None or obj.finished_at is None:
            return None
        return round((obj.finished_at - obj.started_at).total_seconds() * 1000, 3)


class RunSerializer(serializers.ModelSerializer[Run]):
    workflow = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="workflow_version.number", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "workflow",
            "version",
            "status",
            "trigger_node_id",
            "event_key",
            "triggered_by",
            "parent",
            "replay_from_node",
            "input",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "wake_at",
        ]

    def get_workflow(self, obj: Run) -> dict[str, Any]:
        return {"id": str(obj.workflow_id), "name": obj.workflow.name}


class RunDetailSerializer(RunSerializer):
    node_runs = NodeRunSerializer(many=True, read_only=True)
    children = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "node_runs", "children"]

    def get_children(self, obj: Run) -> list[dict[str, Any]]:
        return [{"id": str(child.pk), "status": child.status} for child in obj.children.order_by("created_at")[:200]]


class StartRunSerializer(serializers.Serializer[Any]):
    input = serializers.JSONField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(required=False, min_value=1)
    trigger_node_id = serializers.CharField(required=False, allow_blank=True, default="")


class ReplaySerializer(serializers.Serializer[Any]):
    from_node = serializers.CharField()
