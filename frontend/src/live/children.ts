// A node that fans out hands its items to child runs, one per item; the nodes after it are
// skipped in the parent ("fanned_out") and run in the children. The canvas shows them with
// the children's combined status and the number of items.

import type { LiveRun, NodeLive, NodeStatus } from "./reducer";

export interface ChildNodeRun {
  node_id: string;
  status: string;
  attempts: number;
  error?: unknown;
}

export interface ChildRun {
  id: string;
  status: string;
  node_runs?: ChildNodeRun[];
}

function combined(statuses: string[]): NodeStatus {
  if (statuses.some((s) => s === "failed")) return "failed";
  if (statuses.some((s) => s === "retrying")) return "retrying";
  if (statuses.some((s) => s === "running" || s === "pending")) return "running";
  if (statuses.some((s) => s === "succeeded")) return "succeeded";
  return "skipped";
}

/** The parent's live state with its fanned-out nodes taken from the children. */
export function foldChildren(live: LiveRun, children: ChildRun[]): LiveRun {
  if (!children.length) return live;
  const nodes: Record<string, NodeLive> = { ...live.nodes };
  let changed = false;
  for (const [id, node] of Object.entries(live.nodes)) {
    if (node.reason !== "fanned_out") continue;
    const runs = children.map((child) => child.node_runs?.find((n) => n.node_id === id));
    const statuses = runs.map((r, i) => r?.status ?? (["succeeded", "failed", "cancelled", "dead", "review"].includes(children[i].status) ? "skipped" : "pending"));
    const ran = runs.filter((r) => r && r.status !== "skipped");
    nodes[id] = {
      ...node,
      status: combined(statuses),
      items: ran.length,
      attempts: Math.max(0, ...ran.map((r) => r!.attempts)),
      error: ran.find((r) => r!.status === "failed")?.error,
    };
    changed = true;
  }
  return changed ? { ...live, nodes } : live;
}
