"""The workflow document as a graph: parsing, ordering and the data-flow rules.

Pure Python (networkx only): no Django, no database, no node execution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx


@dataclass(frozen=True)
class NodeSpec:
    id: str
    type: str
    version: int
    name: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class EdgeSpec:
    id: str
    source: str
    source_port: str
    target: str
    target_port: str


@dataclass
class WorkflowGraph:
    """A parsed document: nodes, edges and the networkx graph over node ids."""

    nodes: dict[str, NodeSpec]
    edges: list[EdgeSpec]
    graph: nx.DiGraph = field(repr=False)
    #: Node ids in a deterministic topological order (document order breaks ties).
    order: list[str] = field(default_factory=list)

    def incoming(self, node_id: str) -> list[EdgeSpec]:
        return [edge for edge in self.edges if edge.target == node_id]

    def outgoing(self, node_id: str) -> list[EdgeSpec]:
        return [edge for edge in self.edges if edge.source == node_id]

    def predecessors(self, node_id: str) -> list[str]:
        return list(self.graph.predecessors(node_id))

    def descendants(self, node_id: str) -> set[str]:
        return set(nx.descendants(self.graph, node_id))

    def ancestors(self, node_id: str) -> set[str]:
        return set(nx.ancestors(self.graph, node_id))


def parse_document(document: Mapping[str, Any]) -> WorkflowGraph:
    """Build the graph of an already validated document.

    Raises:
        ValueError: the graph has a cycle (validation should have refused it).
    """
    nodes = {
        raw["id"]: NodeSpec(
            id=raw["id"],
            type=raw["type"],
            version=int(raw.get("version", 1)),
            name=raw.get("name") or raw["id"],
            config=raw.get("config") or {},
        )
        for raw in document.get("nodes", [])
    }
    edges = [
        EdgeSpec(
            id=raw["id"],
            source=raw["source"],
            source_port=raw.get("source_port", "out"),
            target=raw["target"],
            target_port=raw.get("target_port", "in"),
        )
        for raw in document.get("edges", [])
    ]
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((edge.source, edge.target) for edge in edges if edge.source in nodes and edge.target in nodes)
    position = {node_id: index for index, node_id in enumerate(nodes)}
    try:
        order = list(nx.lexicographical_topological_sort(graph, key=lambda node_id: position[node_id]))
    except nx.NetworkXUnfeasible:
        raise ValueError("the workflow graph has a cycle") from None
    return WorkflowGraph(nodes=nodes, edges=edges, graph=graph, order=order)


def find_cycle(graph: nx.DiGraph) -> list[str] | None:
    """The node ids of one cycle, or None when the graph is acyclic."""
    try:
        return [source for source, _target in nx.find_cycle(graph)]
    except nx.NetworkXNoCycle:
        return None


def generations(graph: WorkflowGraph) -> list[list[str]]:
    """Sets of nodes that could run side by side, in dependency order."""
    return [sorted(generation) for generation in nx.topological_generations(graph.graph)]


def gather_input(
    edges: Iterable[EdgeSpec],
    outputs: Mapping[str, Mapping[str, Any]],
    input_ports: Sequence[str],
) -> tuple[bool, Any]:
    """The item a node receives from its active incoming edges.

    ``outputs`` maps each succeeded upstream node id to the ports it emitted.
    Returns ``(active, item)``: ``active`` is False when no incoming edge
    carried data (the node is then skipped). A node with one input port
    receives that port's value; a node with several receives ``{port: value}``.
    The first active edge (document order) wins when several feed one port.
    """
    received: dict[str, Any] = {}
    for edge in edges:
        emitted = outputs.get(edge.source)
        if emitted is None or edge.source_port not in emitted or edge.target_port in received:
            continue
        received[edge.target_port] = emitted[edge.source_port]
    if not received:
        return False, None
    if len(input_ports) == 1:
        return True, received.get(input_ports[0])
    return True, received
