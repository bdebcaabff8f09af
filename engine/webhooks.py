"""Webhook endpoints: one unique URL per webhook trigger node, and receiving deliveries.

A delivery is acknowledged only after its runs are stored: the response is
sent after the transaction that created them has committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from connectors.sdk.crypto import decrypt_json, encrypt_json
from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import WebhookRequest, WebhookTrigger
from connectors.sdk.registry import node_types
from engine.models import Run, WebhookEndpoint
from engine.services import start_run


def _webhook_node_ids(document: Mapping[str, Any]) -> list[str]:
    return [
        node["id"]
        for node in document.get("nodes", [])
        if node.get("type") in node_types and node_types.get_class(node["type"]).trigger_kind() == "webhook"
    ]


def sync_webhook_endpoints(*, workflow: Any, document: Mapping[str, Any]) -> list[WebhookEndpoint]:
    """Make sure every webhook trigger node of ``document`` has its endpoint (URL and secret)."""
    endpoints = []
    for node_id in _webhook_node_ids(document):
        endpoint, _ = WebhookEndpoint.objects.get_or_create(
            workflow=workflow,
            node_id=node_id,
            defaults={
                "token": secrets.token_urlsafe(24),
                "secret_encrypted": encrypt_json({"secret": secrets.token_urlsafe(32)}),
            },
        )
        endpoints.append(endpoint)
    return endpoints


def webhook_url(endpoint: WebhookEndpoint) -> str:
    return f"{settings.LEDGERLINE_PUBLIC_URL}/hooks/{endpoint.token}/"


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    return str(decrypt_json(endpoint.secret_encrypted).get("secret", ""))


def rotate_webhook_secret(endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret; the new one is returned once and stored encrypted."""
    secret = secrets.token_urlsafe(32)
    endpoint.secret_encrypted = encrypt_json({"secret": secret})
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


def receive_delivery(token: str, request: WebhookRequest) -> tuple[list[Run], int]:
    """Turn a delivery into runs; returns ``(runs, duplicates)``.

    Raises:
        WebhookRejected: unknown URL (404), paused workflow (409), or the trigger refused it.
    """
    endpoint = WebhookEndpoint.objects.select_related("workflow").filter(token=token).first()
    if endpoint is None:
        raise WebhookRejected("no webhook at this address", status=404)
    workflow = endpoint.workflow
    if not workflow.active or workflow.is_template:
        raise WebhookRejected("the workflow is paused; deliver again later", status=409)
    version = workflow.versions.order_by("-number").first()
    node = next((n for n in (version.document["nodes"] if version else []) if n["id"] == endpoint.node_id), None)
    if version is None or node is None:
        raise WebhookRejected("this webhook's trigger was removed from the workflow", status=410)
    trigger = node_types.get(node["type"])
    if not isinstance(trigger, WebhookTrigger):
        raise WebhookRejected("this node no longer accepts webhooks", status=410)
    config = {**(node.get("config") or {}), "_secret": webhook_secret(endpoint)}
    events = trigger.receive(config, request)
    runs: list[Run] = []
    duplicates = 0
    with transaction.atomic():
        for event in events:
            run, created = start_run(
                workflow_version=version,
                input=event.payload,
                trigger_node_id=endpoint.node_id,
                event_key=event.key,
                triggered_by="webhook",
            )
            runs.append(run)
            duplicates += int(not created)
    return runs, duplicates
