"""Executing one node once: validate, call, classify the outcome. No database writes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from connectors.sdk.errors import FailureKind, NodeError, PermanentError
from connectors.sdk.nodes import FanOut, NodeType, Route
from engine.context import EngineContext
from engine.core.jsonsafe import to_json
from engine.core.validation import schema_errors

logger = logging.getLogger(__name__)


@dataclass
class NodeOutcome:
    """What happened when a node ran."""

    #: The ports the node emitted on, ``{port: value}`` (JSON-safe); None on failure.
    output: dict[str, Any] | None = None
    #: Items for child runs when the node fanned out.
    fanout: FanOut | None = None
    #: The failure, JSON form, when the node failed.
    error: dict[str, Any] | None = None
    failure_kind: FailureKind | None = None
    retry_after: float | None = None
    duration_ms: float = 0.0
    logs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.error is None


def _failure(exc: NodeError) -> NodeOutcome:
    return NodeOutcome(error=exc.as_dict(), failure_kind=exc.kind, retry_after=getattr(exc, "retry_after", None))


def normalise_output(node_type: NodeType, result: Any) -> tuple[dict[str, Any], FanOut | None]:
    """Turn what ``execute`` returned into ``{port: value}`` (and the fan-out, if any)."""
    if isinstance(result, FanOut):
        return {"items": len(result.items)}, result
    if isinstance(result, Route):
        ports = {port.name for port in node_type.outputs}
        unknown = sorted(set(result.ports) - ports)
        if unknown:
            raise PermanentError(f"{node_type.type} routed to unknown ports {unknown}", code="unknown_port")
        return {port: to_json(value) for port, value in result.ports.items()}, None
    if not node_type.outputs:
        return {}, None
    return {node_type.outputs[0].name: to_json(result)}, None


def execute_node(node_type: NodeType, context: EngineContext, item: Any) -> NodeOutcome:
    """Run ``node_type`` on ``item`` and classify what happened; never raises."""
    started = time.perf_counter()
    outcome = _execute(node_type, context, item)
    outcome.duration_ms = round((time.perf_counter() - started) * 1000, 3)
    outcome.logs = context.logs
    return outcome


#: Configurations that passed their node type's schema, by (type, identity). A configuration comes
#: from a version's parsed graph, which each process keeps and never changes: it is checked once,
#: not at every execution. The entry keeps the object, so its identity cannot be reused.
_valid_configs: dict[tuple[type[NodeType], int], Any] = {}
_MAX_VALID_CONFIGS = 4096


def _config_problems(node_type: type[NodeType], config: Any) -> list[tuple[str, str]]:
    key = (node_type, id(config))
    if _valid_configs.get(key) is config:
        return []
    problems = schema_errors(node_type, "config_schema", dict(config), "config")
    if not problems:
        if len(_valid_configs) >= _MAX_VALID_CONFIGS:
            _valid_configs.clear()
        _valid_configs[key] = config
    return problems


def _execute(node_type: NodeType, context: EngineContext, item: Any) -> NodeOutcome:
    problems = _config_problems(type(node_type), context.config)
    if problems:
        field_path, message = problems[0]
        return _failure(PermanentError(f"invalid configuration: {message}", code="invalid_config", field=field_path))
    problems = schema_errors(type(node_type), "input_schema", item, "input")
    if problems:
        field_path, message = problems[0]
        return _failure(
            PermanentError(
                f"the input does not fit this node: {message}",
                code="invalid_input",
                field=field_path,
                details=[{"field": f, "message": m} for f, m in problems[:20]],
            )
        )
    try:
        if type(node_type).batchable:
            # A batch of one: batchable types may implement only execute_batch.
            result = node_type.execute_batch([(context, item)])[0]
            if isinstance(result, BaseException):
                raise result
        else:
            result = node_type.execute(context, item)
        output, fanout = normalise_output(node_type, result)
    except NodeError as exc:
        return _failure(exc)
    except Exception as exc:
        logger.exception("node %s (%s) raised unexpectedly", context.node_id, type(node_type).type)
        return NodeOutcome(
            error={
                "kind": FailureKind.PERMANENT.value,
                "code": "unexpected_error",
                "message": f"{type(exc).__name__}: {exc}"[:1000],
            },
            failure_kind=FailureKind.PERMANENT,
        )
    return NodeOutcome(output=output, fanout=fanout)
