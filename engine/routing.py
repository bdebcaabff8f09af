from django.urls import path

from engine.consumers import RunEventsConsumer, WorkflowEventsConsumer

websocket_urlpatterns = [
    path("ws/runs/<uuid:run_id>/", RunEventsConsumer.as_asgi()),
    path("ws/workflows/<uuid:workflow_id>/", WorkflowEventsConsumer.as_asgi()),
]
