from django.urls import include, path
from rest_framework.routers import DefaultRouter

from designer.api.connections import ConnectionKindListView, ConnectionViewSet, oauth_callback
from designer.api.views import MeView, TemplateViewSet, VersionViewSet, WorkflowViewSet

router = DefaultRouter(trailing_slash=True)
router.register("workflows", WorkflowViewSet, basename="workflow")
router.register("templates", TemplateViewSet, basename="template")
router.register("connections", ConnectionViewSet, basename="connection")

versions = VersionViewSet.as_view({"get": "list", "post": "create"})
version = VersionViewSet.as_view({"get": "retrieve"})
version_restore = VersionViewSet.as_view({"post": "restore"})

urlpatterns = [
    path("api/workflows/<uuid:workflow_pk>/versions/", versions, name="workflow-versions"),
    path("api/workflows/<uuid:workflow_pk>/versions/<int:number>/", version, name="workflow-version"),
    path(
        "api/workflows/<uuid:workflow_pk>/versions/<int:number>/restore/",
        version_restore,
        name="workflow-version-restore",
    ),
    path("api/connection-kinds/", ConnectionKindListView.as_view(), name="connection-kinds"),
    path("api/me/", MeView.as_view(), name="me"),
    path("api/", include(router.urls)),
    path("connections/oauth/callback/", oauth_callback, name="oauth-callback"),
]
