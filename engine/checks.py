"""System checks: every registered node type must be well-formed."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from connectors.sdk.registry import node_types


@register()
def check_node_types(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for node_type in node_types.all():
        where = f"{node_type.__module__}.{node_type.__qualname__}"
        if not getattr(node_type, "title", ""):
            errors.append(Error(f"node type {node_type.type!r} has no title", obj=where, id="engine.E001"))
        for attr in ("config_schema", "input_schema", "output_schema"):
            try:
                Draft202012Validator.check_schema(dict(getattr(node_type, attr)))
            except SchemaError as exc:
                errors.append(
                    Error(
                        f"node type {node_type.type!r} has an invalid {attr}: {exc.message}",
                        obj=where,
                        id="engine.E002",
                    )
                )
        names = [port.name for port in node_type.outputs]
        if len(names) != len(set(names)):
            errors.append(Error(f"node type {node_type.type!r} repeats an output port", obj=where, id="engine.E003"))
    return errors
