from django.urls import include, path
from rest_framework.routers import DefaultRouter

from monitoring.api.views import AlertRuleViewSet, AlertViewSet

router = DefaultRouter(trailing_slash=True)
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [path("api/", include(router.urls))]
