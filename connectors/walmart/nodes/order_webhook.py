from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping
from typing import Any

from connectors.sdk import TriggerEvent, WebhookRejected, WebhookRequest, WebhookTrigger, register
from connectors.sdk.signatures import signature_matches


@register
class OrderWebhook(WebhookTrigger):
    """Walmart order notifications (PO_CREATED, ORDER_UPDATES), one run per event id.

    Register this workflow's webhook URL with Walmart's subscriptions API and
    choose the same authentication here. The shared secret (password or HMAC
    client secret) is this webhook's signing secret, shown once in the
    workflow's webhook settings; the engine passes it as ``config["_secret"]``.
    """

    type = "walmart.orders.webhook"
    title = "Walmart order notification"
    category = "Walmart"
    icon = "bell"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "auth": {"enum": ["NONE", "BASIC_AUTH", "HMAC"], "title": "Delivery authentication", "default": "HMAC"},
            "auth_header": {"type": "string", "title": "Header Walmart sends it in", "default": "Authorization"},
            "username": {"type": "string", "title": "User name (basic auth)"},
            "events": {
                "type": "array",
                "title": "Event types",
                "items": {"enum": ["PO_CREATED", "ORDER_UPDATES", "PO_LINE_AUTOCANCELLED"]},
                "default": ["PO_CREATED", "ORDER_UPDATES"],
            },
        },
    }
    sample_input = {"eventType": "PO_CREATED", "purchaseOrderId": "1800000000000"}

    def receive(self, config: Mapping[str, Any], request: WebhookRequest) -> list[TriggerEvent]:
        self._authenticate(config, request)
        try:
            body = json.loads(request.body)
            source, payload = body["source"], body["payload"]
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("not a Walmart notification: expected {source, payload}", status=400) from None
        event_type = str(source.get("eventType", ""))
        wanted = config.get("events") or ["PO_CREATED", "ORDER_UPDATES"]
        if event_type not in wanted:
            return []
        return [
            TriggerEvent(
                key=str(source["eventId"]),
                payload={"eventType": event_type, "eventTime": source.get("eventTime"), **payload},
            )
        ]

    @staticmethod
    def _authenticate(config: Mapping[str, Any], request: WebhookRequest) -> None:
        method = config.get("auth", "HMAC")
        if method == "NONE":
            return
        given = request.header(str(config.get("auth_header") or "Authorization")) or ""
        secret = str(config.get("_secret") or "")
        if method == "BASIC_AUTH":
            expected = base64.b64encode(f"{config.get('username', '')}:{secret}".encode()).decode()
            if not hmac.compare_digest(given.removeprefix("Basic ").encode(), expected.encode()):
                raise WebhookRejected("the delivery's credentials are wrong", status=401)
            return
        if not any(
            signature_matches(secret, request.body, given, algorithm="sha256", encoding=encoding)
            for encoding in ("base64", "hex")
        ):
            raise WebhookRejected("the delivery's HMAC signature does not match", status=401)
