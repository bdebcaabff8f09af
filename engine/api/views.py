"""Runs, events and the node-type catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.sdk.errors import NodeError
from connectors.sdk.registry import NotRegistered, node_types
from engine.api.serializers import ReplaySerializer, RunDetailSerializer, RunSerializer
from engine.context import load_connection
from engine.core.states import RunStatus
from engine.events import serialize_event
from engine.models import Run
from engine.services import RunNotAllowed, cancel_run, replay_from, retry_run
from orgs.services import organization_for


class NodeTypeListView(APIView):
    """Every registered node type: the canvas palette and its config forms."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response([node_type.describe() for node_type in node_types.all()])


class NodeTypeOptionsView(APIView):
    """Choices for a config field of a node type (accounts, tax rates ...)."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, type_id: str, field: str) -> Response:
        try:
            node_type = node_types.get(type_id)
        except NotRegistered as exc:
            raise NotFound(str(exc)) from None
        if field not in type(node_type).option_sources:
            raise NotFound(f"{type_id} has no options for {field!r}")
        connection = None
        if type(node_type).connection_kind:
            try:
                connection = load_connection(
                    request.query_params.get("connection"),
                    organization_id=organization_for(request.user).pk,
                    kind=type(node_type).connection_kind,
                )
            except NodeError as exc:
                raise ValidationError({"connection": exc.message}) from None
        try:
            # The organisation lets node types offer its own records (e.g. mapping tables).
            choices = node_type.options(field, connection, {"_organization_id": organization_for(request.user).pk})
        except NodeError as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_502_BAD_GATEWAY)
        return Response(choices)


def _parse_time(value: str | None, name: str) -> Any:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError({name: "use an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z"})
    return parsed


class RunViewSet(viewsets.ReadOnlyModelViewSet[Run]):
    """Runs of the organisation's workflows, newest first."""

    serializer_class = RunSerializer

    def get_queryset(self) -> QuerySet[Run]:
        org = organization_for(self.request.user)
        runs = Run.objects.filter(workflow__organization=org).select_related("workflow", "workflow_version")
        params = self.request.query_params
        if params.get("workflow"):
            runs = runs.filter(workflow_id=params["workflow"])
        if params.get("status"):
            wanted = params["status"].split(",")
            unknown = sorted(set(wanted) - {s.value for s in RunStatus})
            if unknown:
                raise ValidationError(
                    {"status": f"unknown status {unknown}; use one of {[s.value for s in RunStatus]}"}
                )
            runs = runs.filter(status__in=wanted)
        after = _parse_time(params.get("created_after"), "created_after")
        before = _parse_time(params.get("created_before"), "created_before")
        if after:
            runs = runs.filter(created_at__gte=after)
        if before:
            runs = runs.filter(created_at__lt=before)
        return runs.order_by("-created_at")

    def get_serializer_class(self) -> type[RunSerializer]:
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    def get_object(self) -> Run:
        try:
            return super().get_object()
        except ValidationError:  # a malformed uuid
            raise NotFound("no such run") from None

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        try:
            run = cancel_run(self.get_object())
        except RunNotAllowed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        run = retry_run(self.get_object(), triggered_by=f"retry by {request.user}")
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplaySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        body = ReplaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = replay_from(self.get_object(), body.validated_data["from_node"])
        except RunNotAllowed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The run's events after sequence number ``after`` (default 0), in order."""
        run = self.get_object()
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            raise ValidationError({"after": "a sequence number (integer)"}) from None
        events = run.events.filter(seq__gt=after).order_by("seq")[:1000]
        return Response([serialize_event(event) for event in events])
