"""Webhook endpoints: one unique URL per webhook trigger node, and receiving deliveries.

A delivery is acknowledged only after its runs are stored: the response is
sent after the transaction that created them has committed.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from connectors.sdk.crypto import decrypt_json, encrypt_json
from connectors.sdk.errors import WebhookRejected
from connectors.sdk.nodes import TriggerEvent, WebhookRequest, WebhookTrigger
from connectors.sdk.registry import node_types
from engine import versions
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


@lru_cache(maxsize=1024)
def decrypted_secret(secret_encrypted: str) -> str:
    """The signing secret in ``secret_encrypted``, decrypted once per ciphertext and process."""
    return str(decrypt_json(secret_encrypted).get("secret", ""))


@dataclass
class EndpointState:
    """A webhook endpoint as a delivery is checked against it: its node, secret, workflow and latest version."""

    node_id: str
    secret_encrypted: str
    workflow_id: uuid.UUID
    active: bool
    is_template: bool
    version_id: int | None
    version_at: Any


def _endpoint(token: str) -> EndpointState | None:
    """The endpoint with its workflow and the id and time of the workflow's latest version: one query."""
    latest = versions.version_model().objects.filter(workflow=OuterRef("workflow")).order_by("-number")
    row = (
        WebhookEndpoint.objects.filter(token=token)
        .annotate(
            latest_version_id=Subquery(latest.values("pk")[:1]),
            latest_version_at=Subquery(latest.values("created_at")[:1]),
        )
        .values_list(
            "node_id", "secret_encrypted", "workflow_id", "workflow__active", "workflow__is_template",
            "latest_version_id", "latest_version_at",
        )
        .first()
    )  # fmt: skip
    return EndpointState(*row) if row is not None else None


def check_delivery(endpoint: EndpointState | None, request: WebhookRequest) -> tuple[Any, list[TriggerEvent]]:
    """The version a delivery runs and its events, as the trigger sees them.

    Raises:
        WebhookRejected: unknown URL (404), paused workflow (409), trigger removed (410), or the trigger refused it.
    """
    if endpoint is None:
        raise WebhookRejected("no webhook at this address", status=404)
    if not endpoint.active or endpoint.is_template:
        raise WebhookRejected("the workflow is paused; deliver again later", status=409)
    version = (
        versions.get_version(endpoint.version_id, endpoint.version_at)
        if endpoint.version_id is not None and endpoint.version_at
        else None
    )
    node = next((n for n in (version.document["nodes"] if version else []) if n["id"] == endpoint.node_id), None)
    if version is None or node is None:
        raise WebhookRejected("this webhook's trigger was removed from the workflow", status=410)
    trigger = node_types.get(node["type"])
    if not isinstance(trigger, WebhookTrigger):
        raise WebhookRejected("this node no longer accepts webhooks", status=410)
    config = {**(node.get("config") or {}), "_secret": decrypted_secret(endpoint.secret_encrypted)}
    return version, trigger.receive(config, request)


def receive_delivery(token: str, request: WebhookRequest) -> tuple[list[Run], int]:
    """Turn a delivery into runs; returns ``(runs, duplicates)``.

    What the request waits for is the least that makes the acknowledgement
    true: one query for the endpoint, its workflow and latest version (whose
    document each process reads once), the trigger's check of the delivery,
    then the runs and their first events stored in one transaction, and their
    messages to the workers. Live events go out after the answer.

    Raises:
        WebhookRejected: unknown URL (404), paused workflow (409), or the trigger refused it.
    """
    endpoint = _endpoint(token)
    version, events = check_delivery(endpoint, request)
    assert endpoint is not None  # check_delivery refuses unknown tokens
    runs: list[Run] = []
    duplicates = 0
    # One event (the usual delivery) needs no outer transaction: start_run's own is the only one.
    with transaction.atomic() if len(events) > 1 else contextlib.nullcontext():
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
