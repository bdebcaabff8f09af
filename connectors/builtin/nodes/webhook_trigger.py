from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from connectors.builtin.expressions import evaluate, expression_property
from connectors.sdk import NodeError, TriggerEvent, WebhookRejected, WebhookRequest, WebhookTrigger, register
from connectors.sdk.signatures import signature_matches

#: Headers copied into the run's input; others (cookies, authorisation) never are.
FORWARDED_HEADERS = ("content-type", "user-agent", "x-event-id", "x-request-id", "x-github-event", "x-shopify-topic")


@register
class IncomingWebhook(WebhookTrigger):
    """Starts a run per delivery to the workflow's unique URL (``/hooks/<token>/``).

    The signing secret is never part of the workflow document: the engine keeps
    one per webhook node, encrypted, and passes it in as ``config["_secret"]``
    when a delivery arrives. With ``require_signature`` the delivery must carry
    ``hmac_header`` = HMAC(secret, raw body).
    """

    type = "builtin.trigger.webhook"
    title = "Webhook"
    icon = "webhook"
    description = "Start the flow when a system POSTs JSON to this workflow's webhook URL."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "require_signature": {
                "type": "boolean",
                "title": "Require a signature",
                "description": "Refuse deliveries without a valid HMAC of the body made with this webhook's secret.",
                "default": False,
            },
            "hmac_header": {"type": "string", "title": "Signature header", "default": "X-Signature-256"},
            "hmac_algorithm": {"enum": ["sha256", "sha1", "sha512"], "title": "HMAC algorithm", "default": "sha256"},
            "hmac_encoding": {"enum": ["hex", "base64"], "title": "Signature encoding", "default": "hex"},
            "signature_prefix": {
                "type": "string",
                "title": "Signature prefix",
                "description": 'Text before the signature in the header, e.g. "sha256=".',
                "default": "",
            },
            "event_id_path": expression_property(
                "Event id",
                "JSONata over the body giving the event's id at its source; one run per id. "
                "Empty: the X-Event-Id header, else a hash of the body.",
            ),
            "split_array": {
                "type": "boolean",
                "title": "One run per array element",
                "description": "When the body is a JSON array, start one run per element.",
                "default": False,
            },
        },
    }
    sample_input = {
        "body": {"id": "evt_1", "order": "PO-1"},
        "headers": {"content-type": "application/json"},
        "query": {},
    }

    def receive(self, config: Mapping[str, Any], request: WebhookRequest) -> list[TriggerEvent]:
        self._check_signature(config, request)
        try:
            body = json.loads(request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise WebhookRejected("the body is not valid JSON", status=400) from None
        headers = {name: value for name in FORWARDED_HEADERS if (value := request.header(name)) is not None}
        bodies = body if config.get("split_array") and isinstance(body, list) else [body]
        events = []
        for index, element in enumerate(bodies):
            key = self._event_key(config, request, element, index if len(bodies) > 1 else None)
            events.append(
                TriggerEvent(key=key, payload={"body": element, "headers": headers, "query": dict(request.query)})
            )
        return events

    def _check_signature(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        if not config.get("require_signature"):
            return
        given = request.header(str(config.get("hmac_header") or "X-Signature-256"))
        if not given:
            raise WebhookRejected("the delivery has no signature header", status=401)
        if not signature_matches(
            str(config.get("_secret") or ""),
            request.body,
            given,
            algorithm=str(config.get("hmac_algorithm") or "sha256"),
            encoding=str(config.get("hmac_encoding") or "hex"),
            prefix=str(config.get("signature_prefix") or ""),
        ):
            raise WebhookRejected("the signature does not match the body", status=401)

    def _event_key(self, config: Mapping[str, Any], request: WebhookRequest, body: Any, index: int | None) -> str:
        path = config.get("event_id_path")
        if path:
            try:
                found = evaluate(str(path), body, field="config.event_id_path")
            except NodeError as exc:
                raise WebhookRejected(exc.message, status=400) from None
            if found is None or found == "":
                raise WebhookRejected("the delivery has no event id where event_id_path points", status=400)
            return str(found)[:255]
        header = request.header("X-Event-Id")
        if header and index is None:
            return header[:255]
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        return f"sha256:{digest}"
