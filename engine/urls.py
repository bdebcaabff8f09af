from django.urls import include, path
from rest_framework.routers import DefaultRouter

from engine.api.dead_letters import DeadLetterViewSet
from engine.api.views import NodeTypeListView, NodeTypeOptionsView, RunViewSet
from engine.views import webhook_receive

router = DefaultRouter(trailing_slash=True)
router.register("runs", RunViewSet, basename="run")
router.register("dead-letters", DeadLetterViewSet, basename="dead-letter")

urlpatterns = [
    path("hooks/<str:token>/", webhook_receive, name="webhook-receive"),
    path("api/node-types/", NodeTypeListView.as_view(), name="node-types"),
    path("api/node-types/<str:type_id>/options/<str:field>/", NodeTypeOptionsView.as_view(), name="node-type-options"),
    path("api/", include(router.urls)),
]
