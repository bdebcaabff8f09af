"""Workflows, versions, templates and their runs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from designer import services
from designer.api.serializers import (
    CloneSerializer,
    DocumentSerializer,
    SaveVersionSerializer,
    TemplateSerializer,
    VersionSerializer,
    VersionSummarySerializer,
    WorkflowSerializer,
)
from designer.errors import InvalidConnectionChoice, InvalidDocument, InvalidImport, StaleVersion
from designer.models import Workflow, WorkflowVersion
from engine.api.serializers import RunSerializer, StartRunSerializer
from engine.services import start_run
from orgs.services import organization_for


def invalid_document_response(exc: InvalidDocument) -> Response:
    return Response({"detail": exc.message, "errors": exc.issues}, status=status.HTTP_400_BAD_REQUEST)


def stale_response(exc: StaleVersion) -> Response:
    latest = exc.latest
    return Response(
        {"detail": "stale", "message": exc.message, "latest_version": VersionSummarySerializer(latest).data},
        status=status.HTTP_409_CONFLICT,
    )


class WorkflowViewSet(viewsets.ModelViewSet[Workflow]):
    """The organisation's workflows (templates are under ``/api/templates/``)."""

    serializer_class = WorkflowSerializer
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self) -> QuerySet[Workflow]:
        workflows = Workflow.objects.filter(organization=organization_for(self.request.user), is_template=False)
        search = self.request.query_params.get("search")
        if search:
            workflows = workflows.filter(Q(name__icontains=search) | Q(description__icontains=search))
        active = self.request.query_params.get("active")
        if active in {"true", "false"}:
            workflows = workflows.filter(active=active == "true")
        return workflows.prefetch_related("webhooks").order_by("name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = WorkflowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            workflow = services.workflow_create(
                organization=organization_for(request.user),
                name=body.validated_data["name"],
                description=body.validated_data.get("description", ""),
                document=body.validated_data.get("document"),
                user=request.user,
            )
        except InvalidDocument as exc:
            return invalid_document_response(exc)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        if "document" in serializer.validated_data:
            raise ValidationError({"document": "save documents as new versions: POST /api/workflows/{id}/versions/"})
        serializer.save()

    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str | None = None) -> Response:
        copy = services.workflow_copy(
            source=self.get_object(), organization=organization_for(request.user), user=request.user
        )
        return Response(WorkflowSerializer(copy).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        workflow = self.get_object()
        response = Response(services.workflow_export(workflow))
        safe_name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in workflow.name)[:80] or "workflow"
        response["Content-Disposition"] = f'attachment; filename="{safe_name}.ledgerline.json"'
        return response

    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request: Request) -> Response:
        try:
            workflow = services.workflow_import(
                data=request.data, organization=organization_for(request.user), user=request.user
            )
        except InvalidImport as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        except InvalidDocument as exc:
            return invalid_document_response(exc)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        body = DocumentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issues = services.document_issues(body.validated_data["document"])
        return Response({"valid": not issues, "errors": issues})

    @extend_schema(request=StartRunSerializer, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def runs(self, request: Request, pk: str | None = None) -> Response:
        workflow = self.get_object()
        body = StartRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        versions = workflow.versions.all()
        number = body.validated_data.get("version")
        version = versions.filter(number=number).first() if number else versions.order_by("-number").first()
        if version is None:
            raise ValidationError({"version": "this workflow has no such version"})
        if not version.document["nodes"]:
            raise ValidationError({"version": "the workflow is empty: add a trigger and some nodes first"})
        trigger = body.validated_data.get("trigger_node_id", "")
        if trigger and trigger not in {node["id"] for node in version.document["nodes"]}:
            raise ValidationError({"trigger_node_id": f"no node {trigger!r} in version {version.number}"})
        run, _ = start_run(
            workflow_version=version,
            input=body.validated_data.get("input"),
            trigger_node_id=trigger,
            triggered_by=f"manual by {request.user}",
        )
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class VersionViewSet(viewsets.GenericViewSet[WorkflowVersion]):
    """``/api/workflows/{workflow}/versions/``: immutable, newest first."""

    lookup_field = "number"

    def workflow(self) -> Workflow:
        try:
            return Workflow.objects.get(pk=self.kwargs["workflow_pk"], organization=organization_for(self.request.user))
        except (Workflow.DoesNotExist, ValueError, ValidationError):
            raise NotFound("no such workflow") from None

    def get_queryset(self) -> QuerySet[WorkflowVersion]:
        return self.workflow().versions.select_related("created_by").order_by("-number")

    def list(self, request: Request, workflow_pk: str) -> Response:
        return Response(VersionSummarySerializer(self.get_queryset()[:500], many=True).data)

    def retrieve(self, request: Request, workflow_pk: str, number: str) -> Response:
        return Response(VersionSerializer(self.get_object()).data)

    @extend_schema(request=SaveVersionSerializer, responses={201: VersionSerializer})
    def create(self, request: Request, workflow_pk: str) -> Response:
        body = SaveVersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = services.version_save(
                workflow=self.workflow(),
                document=body.validated_data["document"],
                message=body.validated_data["message"],
                user=request.user,
                base_version=body.validated_data["base_version"],
            )
        except InvalidDocument as exc:
            return invalid_document_response(exc)
        except StaleVersion as exc:
            return stale_response(exc)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def restore(self, request: Request, workflow_pk: str, number: str) -> Response:
        try:
            version = services.version_restore(version=self.get_object(), user=request.user)
        except InvalidDocument as exc:
            return invalid_document_response(exc)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class TemplateViewSet(viewsets.ReadOnlyModelViewSet[Workflow]):
    """Prebuilt flows to clone."""

    serializer_class = TemplateSerializer

    def get_queryset(self) -> QuerySet[Workflow]:
        return Workflow.objects.filter(organization=organization_for(self.request.user), is_template=True).order_by(
            "name"
        )

    @extend_schema(request=CloneSerializer, responses={201: WorkflowSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, pk: str | None = None) -> Response:
        body = CloneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            workflow = services.workflow_copy(
                source=self.get_object(),
                organization=organization_for(request.user),
                name=body.validated_data.get("name") or None,
                user=request.user,
                connections=body.validated_data.get("connections"),
            )
        except InvalidConnectionChoice as exc:
            return Response({"connections": {exc.kind: [exc.message]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)


class MeView(APIView):
    def get(self, request: Request) -> Response:
        org = organization_for(request.user)
        return Response(
            {
                "username": request.user.get_username(),
                "organization": {"id": org.pk, "name": org.name, "base_currency": org.base_currency},
            }
        )
