// What changed between two workflow documents: nodes added/removed/changed (with config fields), edges.

import type { DocEdge, DocNode, WorkflowDocument } from "./types";

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface NodeChange {
  id: string;
  /** Config fields (dotted paths) and node fields (type, name, version) that differ; moves are not changes. */
  fields: FieldChange[];
}

export interface DocumentDiff {
  addedNodes: DocNode[];
  removedNodes: DocNode[];
  changedNodes: NodeChange[];
  addedEdges: DocEdge[];
  removedEdges: DocEdge[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Leaf-level differences of two JSON values; arrays compare whole. */
export function valueChanges(before: unknown, after: unknown, path: string): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => valueChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return same(before, after) ? [] : [{ path, before, after }];
}

function edgeKey(edge: DocEdge): string {
  return `${edge.source}:${edge.source_port ?? "out"}→${edge.target}:${edge.target_port ?? "in"}`;
}

export function diffDocuments(before: WorkflowDocument, after: WorkflowDocument): DocumentDiff {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const changedNodes: NodeChange[] = [];
  for (const node of after.nodes) {
    const previous = old.get(node.id);
    if (!previous) continue;
    const fields = [
      ...(["type", "version", "name"] as const).flatMap((key) =>
        same(previous[key], node[key]) ? [] : [{ path: key, before: previous[key], after: node[key] }],
      ),
      ...valueChanges(previous.config ?? {}, node.config ?? {}, "config"),
    ];
    if (fields.length) changedNodes.push({ id: node.id, fields });
  }
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  return {
    addedNodes: after.nodes.filter((n) => !old.has(n.id)),
    removedNodes: before.nodes.filter((n) => !now.has(n.id)),
    changedNodes,
    addedEdges: after.edges.filter((e) => !oldEdges.has(edgeKey(e))),
    removedEdges: before.edges.filter((e) => !newEdges.has(edgeKey(e))),
  };
}

export function isEmptyDiff(diff: DocumentDiff): boolean {
  return !(
    diff.addedNodes.length ||
    diff.removedNodes.length ||
    diff.changedNodes.length ||
    diff.addedEdges.length ||
    diff.removedEdges.length
  );
}
