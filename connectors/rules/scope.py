"""The organisation a node runs for (mapping tables and rates are per organisation)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.apps import apps

from connectors.sdk import PermanentError


@lru_cache(maxsize=1024)
def _workflow_organization(workflow_id: str) -> int | None:
    workflow = apps.get_model("designer", "Workflow")
    return workflow.objects.filter(pk=workflow_id).values_list("organization_id", flat=True).first()


def organization_id(context: Any) -> int:
    """The organisation of the run's workflow (a workflow never changes organisation).

    Raises:
        PermanentError: the context names no workflow this server knows.
    """
    for name in ("organization_id", "_organization_id"):
        value = getattr(context, name, None)
        if value:
            return int(value)
    try:
        found = _workflow_organization(str(context.workflow_id))
    except Exception:  # noqa: BLE001 - a malformed id is simply unknown
        found = None
    if found is None:
        raise PermanentError("this node runs outside a workflow of an organisation", code="rules.no_organization")
    return int(found)
