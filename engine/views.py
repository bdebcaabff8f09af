"""The public webhook receiver (no login: deliveries are checked by the trigger)."""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import WebhookRequest
from engine.db import refresh_connections
from engine.webhooks import receive_delivery


def _receive(token: str, delivery: WebhookRequest) -> JsonResponse:
    try:
        runs, duplicates = receive_delivery(token, delivery)
    except WebhookRejected as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
    except json.JSONDecodeError:
        return JsonResponse({"detail": "the body is not valid JSON"}, status=400)
    return JsonResponse({"runs": [str(run.pk) for run in runs], "duplicates": duplicates}, status=202)


#: Under an ASGI server a thread-sensitive call may get a fresh thread (and so a fresh
#: database connection that is never reused or closed) per request: deliveries go to the
#: executor's fixed threads, which reuse theirs. A WSGI request (the test client) stays
#: on its own thread and connection.
def _receive_pooled(token: str, delivery: WebhookRequest) -> JsonResponse:
    # Each pool thread keeps its database connection (CONN_MAX_AGE); its age and health are
    # checked every few seconds and after an error, not with a round trip per delivery.
    refresh_connections()
    return _receive(token, delivery)


_receive_in_pool = sync_to_async(_receive_pooled, thread_sensitive=False)
_receive_in_thread = sync_to_async(_receive, thread_sensitive=True)


@csrf_exempt
@require_http_methods(["POST", "PUT"])
async def webhook_receive(request: HttpRequest, token: str) -> JsonResponse:
    """Store a delivery's events as runs, then answer 202 (never before they are stored)."""
    delivery = WebhookRequest(
        method=request.method or "POST",
        headers={key: str(value) for key, value in request.headers.items()},
        query={key: str(value) for key, value in request.GET.items()},
        body=request.body,
    )
    receive = _receive_in_pool if isinstance(request, ASGIRequest) else _receive_in_thread
    return await receive(token, delivery)
