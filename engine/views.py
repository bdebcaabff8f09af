"""The public webhook receiver (no login: deliveries are checked by the trigger).

Under an ASGI server the deliveries are answered by :class:`engine.ingress.WebhookIngress`
before they reach Django; this view serves the rest (WSGI, the test client) with the
same code.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.sdk.nodes import WebhookRequest
from engine.db import refresh_connections
from engine.delivery_store import Delivery, store_deliveries


def _receive(token: str, delivery: WebhookRequest) -> JsonResponse:
    stored = store_deliveries([Delivery(token, delivery)])
    stored.dispatch()
    answer = stored.answers[0]
    return JsonResponse(answer.body, status=answer.status)


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
