// The editor's graph model: plain data, pure functions, so every edit is testable and undoable.
// Round-trips the workflow document exactly: fields this editor does not know are kept.

import type { DocEdge, DocNode, NodeTypeInfo, WorkflowDocument } from "./types";

export interface GNode {
  id: string;
  type: string;
  version: number;
  name: string;
  position: { x: number; y: number };
  config: Record<string, unknown>;
  /** Fields of the document's node this editor does not edit (kept as they were). */
  extra: Record<string, unknown>;
}

export interface GEdge {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
  extra: Record<string, unknown>;
}

export interface Graph {
  nodes: GNode[];
  edges: GEdge[];
  /** Top-level document fields besides schema/nodes/edges. */
  extra: Record<string, unknown>;
}

export const EMPTY_GRAPH: Graph = { nodes: [], edges: [], extra: {} };

const NODE_KEYS = new Set(["id", "type", "version", "name", "position", "config"]);
const EDGE_KEYS = new Set(["id", "source", "source_port", "target", "target_port"]);
const DOC_KEYS = new Set(["schema", "nodes", "edges"]);

function rest(value: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !known.has(key)));
}

export function fromDocument(document: WorkflowDocument | null | undefined): Graph {
  if (!document) return EMPTY_GRAPH;
  const nodes = (document.nodes ?? []).map(
    (node: DocNode, index): GNode => ({
      id: node.id,
      type: node.type,
      version: node.version ?? 1,
      name: node.name ?? "",
      position: Array.isArray(node.position)
        ? { x: Number(node.position[0]) || 0, y: Number(node.position[1]) || 0 }
        : { x: 40 + index * 220, y: 200 },
      config: structuredClone(node.config ?? {}),
      extra: structuredClone(rest(node, NODE_KEYS)),
    }),
  );
  const edges = (document.edges ?? []).map(
    (edge: DocEdge): GEdge => ({
      id: edge.id,
      source: edge.source,
      sourcePort: edge.source_port ?? "out",
      target: edge.target,
      targetPort: edge.target_port ?? "in",
      extra: structuredClone(rest(edge, EDGE_KEYS)),
    }),
  );
  return { nodes, edges, extra: structuredClone(rest(document, DOC_KEYS)) };
}

/** The document the versions API expects; positions are rounded to whole pixels. */
export function toDocument(graph: Graph): WorkflowDocument {
  return {
    ...structuredClone(graph.extra),
    schema: 1,
    nodes: graph.nodes.map((node) => ({
      ...structuredClone(node.extra),
      id: node.id,
      type: node.type,
      version: node.version,
      name: node.name,
      position: [Math.round(node.position.x), Math.round(node.position.y)] as [number, number],
      config: structuredClone(node.config),
    })),
    edges: graph.edges.map((edge) => ({
      ...structuredClone(edge.extra),
      id: edge.id,
      source: edge.source,
      source_port: edge.sourcePort,
      target: edge.target,
      target_port: edge.targetPort,
    })),
  };
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** ``base``, ``base_2``, ``base_3`` ... the first one not in ``taken``. */
export function uniqueId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const clean = base.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 56) || "node";
  if (!used.has(clean)) return clean;
  for (let n = 2; ; n += 1) {
    const candidate = `${clean}_${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** Config defaults of a schema's top-level properties (nested objects get theirs too). */
export function schemaDefaults(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const config: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (property.default !== undefined) config[key] = structuredClone(property.default);
    else if (property.type === "object" && property.properties) {
      const nested = schemaDefaults(property);
      if (Object.keys(nested).length) config[key] = nested;
    }
  }
  return config;
}

/** A new node of ``nodeType`` at ``position``; its id comes from the type's last segment. */
export function addNode(graph: Graph, nodeType: NodeTypeInfo, position: { x: number; y: number }): [Graph, GNode] {
  const segments = nodeType.type.split(".");
  const base = (segments.length > 1 ? segments.slice(1) : segments).join("_");
  const node: GNode = {
    id: uniqueId(base, graph.nodes.map((n) => n.id)),
    type: nodeType.type,
    version: nodeType.version,
    name: nodeType.title,
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    config: schemaDefaults(nodeType.config_schema),
    extra: {},
  };
  return [{ ...graph, nodes: [...graph.nodes, node] }, node];
}

/** Removes nodes and every edge touching them, and the given edges. */
export function removeElements(graph: Graph, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): Graph {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  return {
    ...graph,
    nodes: graph.nodes.filter((node) => !nodes.has(node.id)),
    edges: graph.edges.filter((edge) => !edges.has(edge.id) && !nodes.has(edge.source) && !nodes.has(edge.target)),
  };
}

export interface Connection {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/** Why a connection cannot be made, or null when it can. */
export function connectionProblem(graph: Graph, c: Connection): string | null {
  if (c.source === c.target) return "a node cannot feed itself";
  if (!graph.nodes.some((n) => n.id === c.source) || !graph.nodes.some((n) => n.id === c.target)) {
    return "both ends must be nodes on the canvas";
  }
  const same = graph.edges.some(
    (e) => e.source === c.source && e.sourcePort === c.sourcePort && e.target === c.target && e.targetPort === c.targetPort,
  );
  if (same) return "these ports are already connected";
  if (reaches(graph, c.target, c.source)) return "this connection would make the flow loop back on itself";
  return null;
}

function reaches(graph: Graph, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const current = stack.pop()!;
    if (current === to) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const edge of graph.edges) if (edge.source === current) stack.push(edge.target);
  }
  return false;
}

/** Adds an edge; an impossible connection leaves the graph unchanged (see connectionProblem). */
export function connect(graph: Graph, c: Connection): Graph {
  if (connectionProblem(graph, c)) return graph;
  return { ...graph, edges: [...graph.edges, { id: nextEdgeId(graph), ...c, extra: {} }] };
}

function nextEdgeId(graph: Graph): string {
  const taken = new Set(graph.edges.map((e) => e.id));
  let n = graph.edges.length + 1;
  while (taken.has(`e${n}`)) n += 1;
  return `e${n}`;
}

export function updateNode(graph: Graph, id: string, change: Partial<Omit<GNode, "id">>): Graph {
  return { ...graph, nodes: graph.nodes.map((node) => (node.id === id ? { ...node, ...change } : node)) };
}

export function moveNodes(graph: Graph, positions: Record<string, { x: number; y: number }>): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((node) => (positions[node.id] ? { ...node, position: positions[node.id] } : node)),
  };
}

/** Renames a node and rewires its edges; refuses ids the API would reject or that are taken. */
export function renameNode(graph: Graph, from: string, to: string): Graph {
  if (from === to || !isValidNodeId(to) || graph.nodes.some((n) => n.id === to)) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((node) => (node.id === from ? { ...node, id: to } : node)),
    edges: graph.edges.map((edge) => ({
      ...edge,
      source: edge.source === from ? to : edge.source,
      target: edge.target === from ? to : edge.target,
    })),
  };
}

export interface Clipboard {
  nodes: GNode[];
  edges: GEdge[];
}

/** The selected nodes and the edges between them. */
export function copySelection(graph: Graph, nodeIds: Iterable<string>): Clipboard {
  const ids = new Set(nodeIds);
  return structuredClone({
    nodes: graph.nodes.filter((n) => ids.has(n.id)),
    edges: graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  });
}

/** Pastes copies with fresh ids, shifted by ``offset``; returns the new node ids. */
export function paste(graph: Graph, clip: Clipboard, offset = { x: 40, y: 40 }): [Graph, string[]] {
  let next = graph;
  const renamed = new Map<string, string>();
  const nodes: GNode[] = [];
  for (const node of clip.nodes) {
    const id = uniqueId(node.id, [...next.nodes.map((n) => n.id), ...nodes.map((n) => n.id)]);
    renamed.set(node.id, id);
    nodes.push({
      ...structuredClone(node),
      id,
      position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
    });
  }
  next = { ...next, nodes: [...next.nodes, ...nodes] };
  for (const edge of clip.edges) {
    next = connect(next, {
      source: renamed.get(edge.source)!,
      sourcePort: edge.sourcePort,
      target: renamed.get(edge.target)!,
      targetPort: edge.targetPort,
    });
  }
  return [next, nodes.map((n) => n.id)];
}
