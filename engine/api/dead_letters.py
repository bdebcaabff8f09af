"""``/api/dead-letters/``: inspect, edit and replay, or discard failed runs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from engine.api.serializers import RunSerializer
from engine.dead_letters import (
    DEAD_STATES,
    NotInQueue,
    dead_letters,
    discard_dead_letter,
    failing_node,
    human_reason,
    replay_dead_letter,
    replay_many,
)
from engine.models import Run
from orgs.services import organization_for


class DeadLetterSerializer(serializers.ModelSerializer[Run]):
    workflow = serializers.SerializerMethodField()
    node_id = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    failed_input = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "workflow",
            "status",
            "node_id",
            "reason",
            "error",
            "failed_input",
            "input",
            "created_at",
            "finished_at",
        ]

    def get_workflow(self, obj: Run) -> dict[str, Any]:
        return {"id": str(obj.workflow_id), "name": obj.workflow.name}

    def get_node_id(self, obj: Run) -> str:
        return failing_node(obj)

    def get_reason(self, obj: Run) -> str:
        return human_reason(obj)

    def get_failed_input(self, obj: Run) -> Any:
        node_run = obj.node_runs.filter(node_id=failing_node(obj)).first()
        return node_run.input if node_run else obj.input


class ReplayRequest(serializers.Serializer[Any]):
    from_node = serializers.CharField(required=False)
    #: The edited item for the replayed node; omit to replay the item as it was.
    input = serializers.JSONField(required=False)


class DiscardRequest(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


class BulkReplayRequest(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    workflow = serializers.UUIDField(required=False)
    node = serializers.CharField(required=False)
    code = serializers.CharField(required=False)


def _filtered(runs: QuerySet[Run], params: Any) -> QuerySet[Run]:
    if params.get("workflow"):
        runs = runs.filter(workflow_id=params["workflow"])
    if params.get("node"):
        runs = runs.filter(error__node_id=params["node"])
    if params.get("code"):
        runs = runs.filter(error__code=params["code"])
    if params.get("ids"):
        runs = runs.filter(pk__in=params["ids"])
    return runs


class DeadLetterViewSet(viewsets.ReadOnlyModelViewSet[Run]):
    serializer_class = DeadLetterSerializer

    def get_queryset(self) -> QuerySet[Run]:
        runs = dead_letters(organization_id=organization_for(self.request.user).pk).select_related(
            "workflow", "workflow_version"
        )
        return _filtered(runs, self.request.query_params).order_by("-created_at")

    def get_object(self) -> Run:
        try:
            return super().get_object()
        except Exception as exc:
            raise NotFound("no such run in the dead-letter queue") from exc

    @extend_schema(request=ReplayRequest, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        body = ReplayRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = replay_dead_letter(
                self.get_object(),
                by=request.user.get_username(),
                from_node=body.validated_data.get("from_node"),
                edited_input=body.validated_data.get("input"),
            )
        except NotInQueue as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DiscardRequest)
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        body = DiscardRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            discard_dead_letter(self.get_object(), by=request.user.get_username(), note=body.validated_data["note"])
        except NotInQueue as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=BulkReplayRequest)
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_bulk(self, request: Request) -> Response:
        """Replay many: by ids and/or by filter. Repeating the call replays nothing twice."""
        body = BulkReplayRequest(data=request.data)
        body.is_valid(raise_exception=True)
        if not body.validated_data:
            return Response(
                {"detail": "name ids or a filter (workflow, node, code)"}, status=status.HTTP_400_BAD_REQUEST
            )
        org = organization_for(request.user)
        candidates = _filtered(
            Run.objects.filter(workflow__organization=org, status__in=DEAD_STATES), body.validated_data
        )
        report = replay_many(candidates, by=request.user.get_username())
        return Response({"replayed": report.replayed, "skipped": len(report.skipped)})
