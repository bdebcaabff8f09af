"""Child runs: one per item of a fan-out, and replays that reuse a run's earlier nodes.

A child run starts with node runs copied from its parent for the nodes it does
not need to execute again; the engine then continues it like any other run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from connectors.sdk.nodes import FanOut
from connectors.sdk.registry import node_types
from engine.core.graph import WorkflowGraph
from engine.core.jsonsafe import to_json
from engine.core.states import NodeStatus, RunStatus
from engine.dispatch import enqueue_run
from engine.events import record_events
from engine.models import NodeRun, Run


def copy_node_runs(source: Run, target: Run, node_ids: Iterable[str], overrides: Mapping[str, dict[str, Any]]) -> None:
    """Copy ``source``'s node runs for ``node_ids`` into ``target`` (settled, not re-executed)."""
    existing = {nr.node_id: nr for nr in source.node_runs.filter(node_id__in=list(node_ids))}
    copies = []
    for node_id in node_ids:
        original = existing.get(node_id)
        settled = original is not None and original.status in (NodeStatus.SUCCEEDED, NodeStatus.SKIPPED)
        if not settled and node_id not in overrides:
            continue  # never finished in the source run: the target executes it
        fields: dict[str, Any] = {
            "node_type": original.node_type if original else "",
            "status": original.status if original else NodeStatus.SKIPPED,
            "attempts": original.attempts if original else 0,
            "input": original.input if original else None,
            "output": original.output if original else None,
            "started_at": original.started_at if original else None,
            "finished_at": original.finished_at if original else None,
        }
        fields.update(overrides.get(node_id, {}))
        copies.append(NodeRun(run=target, node_id=node_id, **fields))
    NodeRun.objects.bulk_create(copies)


def start_child_runs(parent: Run, graph: WorkflowGraph, node_run: NodeRun, fanout: FanOut) -> list[Run]:
    """One child run per fan-out item; each continues after the fan-out node.

    Children are keyed by the parent run, node and item key, so a retried
    fan-out never creates the same child twice.
    """
    node_id = node_run.node_id
    upstream = graph.ancestors(node_id)
    downstream = graph.descendants(node_id)
    unrelated = set(graph.nodes) - upstream - downstream - {node_id}
    port = node_types.get_class(graph.nodes[node_id].type).outputs[0].name
    keys = list(fanout.keys) if fanout.keys is not None else [str(index) for index in range(len(fanout.items))]
    children = []
    for key, item in zip(keys, fanout.items, strict=True):
        try:
            with transaction.atomic():
                child = Run.objects.create(
                    workflow_id=parent.workflow_id,
                    workflow_version_id=parent.workflow_version_id,
                    trigger_node_id=parent.trigger_node_id,
                    event_key=f"{parent.pk}/{node_id}/{key}"[:255],
                    input=parent.input,
                    parent=parent,
                    triggered_by="fanout",
                )
                overrides = {node_id: {"output": {port: to_json(item)}, "status": NodeStatus.SUCCEEDED}}
                copy_node_runs(parent, child, [*upstream, node_id], overrides)
                copy_node_runs(parent, child, unrelated, {n: {"status": NodeStatus.SKIPPED} for n in unrelated})
                record_events(child, [("run.created", "", {"parent": str(parent.pk), "key": key})])
        except IntegrityError:
            continue  # made by an earlier attempt of this same fan-out
        enqueue_run(str(child.pk))
        children.append(child)
    return children


def replay_run(original: Run, from_node: str, graph: WorkflowGraph, *, edited_input: Any = None) -> Run:
    """A new run that reuses ``original``'s results before ``from_node`` and executes the rest.

    ``edited_input``, when given, is the item ``from_node`` receives instead of its upstream output.
    """
    redo = {from_node} | graph.descendants(from_node)
    keep = [node_id for node_id in graph.nodes if node_id not in redo]
    with transaction.atomic():
        replay = Run.objects.create(
            workflow_id=original.workflow_id,
            workflow_version_id=original.workflow_version_id,
            trigger_node_id=original.trigger_node_id,
            input=original.input,
            parent=original,
            replay_from_node=from_node,
            triggered_by="replay",
            status=RunStatus.PENDING,
            input_overrides={from_node: to_json(edited_input)} if edited_input is not None else {},
        )
        copy_node_runs(original, replay, keep, {})
        record_events(replay, [("run.created", "", {"replay_of": str(original.pk), "from_node": from_node})])
        enqueue_run(str(replay.pk))
    return replay
