"""Workflow services: create, save versions, duplicate, clone templates, import and export.

The designer never executes anything: runs are started through :mod:`engine.services`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from connectors.sdk.registry import node_types
from designer.errors import InvalidConnectionChoice, InvalidDocument, InvalidImport, StaleVersion
from designer.models import Workflow, WorkflowVersion
from engine.core.validation import validate_document
from engine.webhooks import sync_webhook_endpoints
from orgs.models import Organization

#: The ``format`` of an exported workflow file.
EXPORT_FORMAT = "ledgerline.workflow"
#: A document with no nodes: what a new workflow starts with.
EMPTY_DOCUMENT: dict[str, Any] = {"schema": 1, "nodes": [], "edges": []}


def document_issues(document: Any) -> list[dict[str, Any]]:
    """Every problem with ``document`` as JSON-ready dicts (node, field, code, message)."""
    return [issue.as_dict() for issue in validate_document(document, node_types)]


def _user_id(user: AbstractBaseUser | AnonymousUser | None) -> Any:
    return user.pk if user is not None and user.is_authenticated else None


@transaction.atomic
def workflow_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    document: dict[str, Any] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    message: str = "Created",
) -> Workflow:
    """A new workflow with its first version (an empty flow unless ``document`` is given).

    Raises:
        InvalidDocument: ``document`` is given and not valid.
    """
    workflow = Workflow.objects.create(organization=organization, name=name, description=description)
    version_save(
        workflow=workflow,
        document=document or EMPTY_DOCUMENT,
        message=message,
        user=user,
        base_version=None,
        check_stale=False,
    )
    return workflow


@transaction.atomic
def version_save(
    *,
    workflow: Workflow,
    document: Any,
    message: str = "",
    user: AbstractBaseUser | AnonymousUser | None = None,
    base_version: int | None,
    check_stale: bool = True,
) -> WorkflowVersion:
    """Save ``document`` as the workflow's next version.

    ``base_version`` is the version the editor started from; when a newer one
    exists the save is refused, so two people never overwrite each other silently.

    Raises:
        InvalidDocument: the document is not valid (nothing is saved).
        StaleVersion: ``base_version`` is not the latest version.
    """
    issues = document_issues(document)
    if issues:
        raise InvalidDocument(issues)
    locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
    latest = locked.versions.order_by("-number").first()
    if check_stale and latest is not None and base_version != latest.number:
        raise StaleVersion(latest)
    version = WorkflowVersion.objects.create(
        workflow=locked,
        number=(latest.number + 1) if latest else 1,
        document=document,
        message=message[:500],
        created_by_id=_user_id(user),
    )
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=version.created_at)
    sync_webhook_endpoints(workflow=locked, document=document)
    return version


def version_restore(
    *, version: WorkflowVersion, user: AbstractBaseUser | AnonymousUser | None = None
) -> WorkflowVersion:
    """A new latest version whose document equals ``version``'s."""
    latest = version.workflow.latest_version()
    return version_save(
        workflow=version.workflow,
        document=copy.deepcopy(version.document),
        message=f"Restored version {version.number}",
        user=user,
        base_version=latest.number if latest else None,
    )


@transaction.atomic
def fill_connections(
    document: dict[str, Any], organization: Organization, chosen: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``document`` with every empty ``connection`` field set: to ``chosen[kind]`` when given, else to
    the organisation's only connection of the kind the node needs. Fields with a value, and kinds
    with no or several connections (and no choice), are left for the analyst to pick."""
    from connectors.sdk.models import Connection

    by_kind: dict[str, list[str]] = {}
    for row_id, row_kind in Connection.objects.filter(organization=organization).values_list("pk", "kind"):
        by_kind.setdefault(row_kind, []).append(str(row_id))
    use = {kind: ids[0] for kind, ids in by_kind.items() if len(ids) == 1}
    for kind, choice in (chosen or {}).items():
        if str(choice) not in by_kind.get(kind, []):
            raise InvalidConnectionChoice(kind, f"no {kind} connection {choice} in this organisation")
        use[kind] = str(choice)
    filled = copy.deepcopy(document)
    for spec in filled.get("nodes", []):
        config = spec.get("config") or {}
        if "connection" not in config or config["connection"] or spec.get("type") not in node_types:
            continue
        needed = node_types.get(spec["type"]).connection_kind_for(config)
        if needed in use:
            config["connection"] = use[needed]
    return filled


def workflow_copy(
    *,
    source: Workflow,
    organization: Organization,
    name: str | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    connections: Mapping[str, str] | None = None,
) -> Workflow:
    """A new, editable workflow whose first version is ``source``'s latest document. A template's
    empty connection fields are filled in (:func:`fill_connections`)."""
    latest = source.latest_version()
    document = copy.deepcopy(latest.document) if latest else EMPTY_DOCUMENT
    if source.is_template:
        document = fill_connections(document, organization, connections)
    workflow = Workflow.objects.create(
        organization=organization,
        name=name or (source.name if source.is_template else f"{source.name} (copy)"),
        description=source.description,
    )
    origin = "template" if source.is_template else "workflow"
    WorkflowVersion.objects.create(
        workflow=workflow,
        number=1,
        document=document,
        message=f"Cloned from {origin} {source.name!r}",
        created_by_id=_user_id(user),
    )
    sync_webhook_endpoints(workflow=workflow, document=document)
    return workflow


def workflow_export(workflow: Workflow) -> dict[str, Any]:
    """The portable JSON form of a workflow's latest version (no secrets, no ids of this install)."""
    latest = workflow.latest_version()
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "name": workflow.name,
        "description": workflow.description,
        "document": latest.document if latest else EMPTY_DOCUMENT,
    }


def workflow_import(
    *, data: Any, organization: Organization, user: AbstractBaseUser | AnonymousUser | None = None
) -> Workflow:
    """Create a workflow from :func:`workflow_export`'s output.

    Raises:
        InvalidImport: not an export file.
        InvalidDocument: the document in it is not valid on this server.
    """
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidImport(f'not a Ledgerline workflow file: expected "format": "{EXPORT_FORMAT}"')
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidImport("the file has no workflow name")
    return workflow_create(
        organization=organization,
        name=name.strip()[:200],
        description=str(data.get("description") or ""),
        document=data.get("document"),
        user=user,
        message="Imported",
    )
