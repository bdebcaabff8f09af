from django.urls import include, path
from rest_framework.routers import DefaultRouter

from connectors.rules.api.views import CurrencyRateViewSet, MappingTableViewSet, ReconciliationView

router = DefaultRouter(trailing_slash=True)
router.register("mapping-tables", MappingTableViewSet, basename="mapping-table")
router.register("currency-rates", CurrencyRateViewSet, basename="currency-rate")

urlpatterns = [
    path("api/reports/reconciliation/", ReconciliationView.as_view(), name="reconciliation-report"),
    path("api/", include(router.urls)),
]
