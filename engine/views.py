"""The public webhook receiver (no login: deliveries are checked by the trigger)."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import WebhookRequest
from engine.webhooks import receive_delivery


@csrf_exempt
@require_http_methods(["POST", "PUT"])
def webhook_receive(request: HttpRequest, token: str) -> JsonResponse:
    """Store a delivery's events as runs, then answer 202 (never before they are stored)."""
    delivery = WebhookRequest(
        method=request.method or "POST",
        headers={key: str(value) for key, value in request.headers.items()},
        query={key: str(value) for key, value in request.GET.items()},
        body=request.body,
    )
    try:
        runs, duplicates = receive_delivery(token, delivery)
    except WebhookRejected as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
    except json.JSONDecodeError:
        return JsonResponse({"detail": "the body is not valid JSON"}, status=400)
    return JsonResponse({"runs": [str(run.pk) for run in runs], "duplicates": duplicates}, status=202)
