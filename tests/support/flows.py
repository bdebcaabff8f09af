"""Building workflow documents in tests."""

from __future__ import annotations

from itertools import pairwise
from typing import Any


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "version": 1, "name": node_id, "position": [0, 0], "config": config}


def edge(source: str, target: str, source_port: str = "out", target_port: str = "in") -> dict[str, Any]:
    return {
        "id": f"{source}.{source_port}->{target}.{target_port}",
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema": 1, "nodes": nodes, "edges": edges}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Nodes wired one after the other, ``out`` → ``in``."""
    return document(list(nodes), [edge(a["id"], b["id"]) for a, b in pairwise(nodes)])


def manual(node_id: str = "start") -> dict[str, Any]:
    return node(node_id, "builtin.trigger.manual")
