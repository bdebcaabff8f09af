"""Validation of workflow documents: the document schema, each node's config, the graph.

Every problem is reported (not just the first) as a :class:`ValidationIssue`
naming the node and the field, so the canvas can show it on the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from connectors.sdk.nodes import NodeType
from connectors.sdk.registry import NotRegistered, Registry
from engine.core.graph import find_cycle

#: JSON Schema of a workflow document (schema version 1).
DOCUMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "nodes", "edges"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": 1},
        "nodes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                    "type": {"type": "string", "minLength": 1},
                    "version": {"type": "integer", "minimum": 1},
                    "name": {"type": "string", "maxLength": 200},
                    "position": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "config": {"type": "object"},
                    "notes": {"type": "string"},
                },
            },
        },
        "edges": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "source", "target"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                    "source_port": {"type": "string"},
                    "target": {"type": "string"},
                    "target_port": {"type": "string"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a document: where it is and what to do about it."""

    code: str
    message: str
    node: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_path(error: ValidationError, prefix: str) -> str:
    parts = [prefix] if prefix else []
    parts += [str(part) for part in error.absolute_path]
    return ".".join(parts)


_validators: dict[tuple[type[NodeType], str], Draft202012Validator] = {}


def _validator_for(node_type: type[NodeType], attr: str) -> Draft202012Validator:
    """Compiled validators are cached per node type and schema: schemas are class constants."""
    key = (node_type, attr)
    validator = _validators.get(key)
    if validator is None:
        validator = _validators[key] = Draft202012Validator(dict(getattr(node_type, attr)))
    return validator


def schema_errors(node_type: type[NodeType], attr: str, value: Any, prefix: str) -> list[tuple[str, str]]:
    """``(field, message)`` for each way ``value`` breaks the node type's ``attr`` schema."""
    validator = _validator_for(node_type, attr)
    return [(_json_path(error, prefix), error.message) for error in validator.iter_errors(value)]


def validate_document(document: Any, registry: Registry[NodeType]) -> list[ValidationIssue]:
    """Every problem with ``document``; an empty list means it can be saved and run."""
    issues = [
        ValidationIssue(code="document", message=error.message, field=_json_path(error, "") or None)
        for error in Draft202012Validator(DOCUMENT_SCHEMA).iter_errors(document)
    ]
    if issues:
        return issues
    node_types: dict[str, type[NodeType]] = {}
    seen: set[str] = set()
    for node in document["nodes"]:
        node_id = node["id"]
        if node_id in seen:
            issues.append(
                ValidationIssue(code="duplicate_node", node=node_id, message=f"node id {node_id!r} is used twice")
            )
            continue
        seen.add(node_id)
        try:
            node_type = registry.get_class(node["type"])
        except NotRegistered as exc:
            issues.append(ValidationIssue(code="unknown_type", node=node_id, field="type", message=str(exc)))
            continue
        node_types[node_id] = node_type
        issues += _config_issues(node_id, node, node_type)
    issues += _edge_issues(document, node_types, seen)
    if not any(issue.code in {"dangling_edge", "duplicate_node"} for issue in issues):
        issues += _graph_issues(document, node_types)
    return issues


def _config_issues(node_id: str, node: Mapping[str, Any], node_type: type[NodeType]) -> list[ValidationIssue]:
    issues = []
    version = node.get("version", node_type.version)
    if version > node_type.version:
        issues.append(
            ValidationIssue(
                code="unknown_version",
                node=node_id,
                field="version",
                message=f"{node_type.type} version {version} is newer than this server's {node_type.version}",
            )
        )
    for field, message in schema_errors(node_type, "config_schema", node.get("config", {}), "config"):
        issues.append(ValidationIssue(code="config", node=node_id, field=field, message=message))
    return issues


def _edge_issues(
    document: Mapping[str, Any], node_types: Mapping[str, type[NodeType]], node_ids: set[str]
) -> list[ValidationIssue]:
    issues = []
    edge_ids: set[str] = set()
    for edge in document["edges"]:
        edge_id = edge["id"]
        if edge_id in edge_ids:
            issues.append(
                ValidationIssue(
                    code="duplicate_edge", field=f"edges.{edge_id}", message=f"edge id {edge_id!r} is used twice"
                )
            )
        edge_ids.add(edge_id)
        for end, port_key, default_port, ports_attr in (
            ("source", "source_port", "out", "outputs"),
            ("target", "target_port", "in", "inputs"),
        ):
            node_id = edge[end]
            if node_id not in node_ids:
                issues.append(
                    ValidationIssue(
                        code="dangling_edge",
                        field=f"edges.{edge_id}.{end}",
                        message=f"edge {edge_id!r} points at node {node_id!r}, which does not exist",
                    )
                )
                continue
            node_type = node_types.get(node_id)
            if node_type is None:
                continue
            port = edge.get(port_key, default_port)
            names = [p.name for p in getattr(node_type, ports_attr)]
            if port not in names:
                where = "output" if end == "source" else "input"
                available = ", ".join(names) or "none"
                issues.append(
                    ValidationIssue(
                        code="unknown_port",
                        node=node_id,
                        field=f"edges.{edge_id}.{port_key}",
                        message=f"{node_type.type} has no {where} port {port!r} (it has: {available})",
                    )
                )
    return issues


def _graph_issues(document: Mapping[str, Any], node_types: Mapping[str, type[NodeType]]) -> list[ValidationIssue]:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(node["id"] for node in document["nodes"])
    graph.add_edges_from((edge["source"], edge["target"]) for edge in document["edges"])
    issues = []
    cycle = find_cycle(graph)
    if cycle:
        issues.append(
            ValidationIssue(
                code="cycle",
                node=cycle[0],
                message="the flow loops back on itself: " + " → ".join([*cycle, cycle[0]]),
            )
        )
    wired = {(edge["target"], edge.get("target_port", "in")) for edge in document["edges"]}
    for node_id, node_type in node_types.items():
        for port in node_type.inputs:
            if port.required and (node_id, port.name) not in wired:
                issues.append(
                    ValidationIssue(
                        code="unwired_input",
                        node=node_id,
                        field=f"inputs.{port.name}",
                        message=f"input {port.name!r} must be connected to an upstream node",
                    )
                )
    if document["nodes"] and not any(node_type.is_trigger() for node_type in node_types.values()):
        issues.append(ValidationIssue(code="no_trigger", message="add a trigger node: every flow starts with one"))
    return issues
