"""``/api/mapping-tables/``, ``/api/currency-rates/`` (with CSV import) and ``/api/reports/reconciliation/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.rules.api.serializers import (
    CurrencyRateSerializer,
    MappingTableSerializer,
    RateImportSerializer,
    ReconciliationQuerySerializer,
)
from connectors.rules.models import CurrencyRate, MappingTable
from connectors.rules.rates import import_csv
from connectors.rules.reconciliation import reconcile
from orgs.services import organization_for


class OrganizationScoped:
    """Gives serializers the user's organisation (names are unique per organisation)."""

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["organization"] = organization_for(self.request.user)  # type: ignore[attr-defined]
        return context


class MappingTableViewSet(OrganizationScoped, viewsets.ModelViewSet[MappingTable]):
    serializer_class = MappingTableSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[MappingTable]:
        tables = MappingTable.objects.filter(organization=organization_for(self.request.user))
        kind = self.request.query_params.get("kind")
        return (tables.filter(kind=kind) if kind else tables).prefetch_related("entries").order_by("name")


class CurrencyRateViewSet(
    OrganizationScoped,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[CurrencyRate],
):
    serializer_class = CurrencyRateSerializer

    def get_queryset(self) -> QuerySet[CurrencyRate]:
        rates = CurrencyRate.objects.filter(organization=organization_for(self.request.user))
        params = self.request.query_params
        for name in ("from_currency", "to_currency"):
            if params.get(name):
                rates = rates.filter(**{name: params[name].upper()})
        if params.get("date"):
            rates = rates.filter(date=params["date"])
        return rates

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organization=organization_for(self.request.user))

    @extend_schema(request=RateImportSerializer, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        """CSV columns: ``date`` (YYYY-MM-DD), ``from_currency``, ``to_currency``, ``rate``, optional ``source``."""
        form = RateImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        report = import_csv(organization_for(request.user).pk, upload.read(), filename=str(upload.name))
        return Response({"imported": report.imported, "errors": report.errors}, status=status.HTTP_200_OK)


class ReconciliationView(APIView):
    """Walmart totals against Xero totals per day and currency, and every order that differs."""

    @extend_schema(parameters=[ReconciliationQuerySerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        query = ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        return Response(reconcile(organization_for(request.user).pk, start, end))
