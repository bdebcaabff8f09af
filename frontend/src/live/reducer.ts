// Folding a run's event stream into what the canvas shows. Events carry a gap-free per-run ``seq``:
// they are applied strictly in order, duplicates are dropped, and an event after a gap is held
// back while the caller resyncs (reads /api/runs/<id>/events/?after=<lastSeq>).

export type NodeStatus = "idle" | "pending" | "running" | "retrying" | "succeeded" | "failed" | "skipped";

export interface RunEvent {
  id: number;
  seq: number;
  run_id: string;
  type: string;
  node_id: string | null;
  at: string;
  payload: Record<string, unknown>;
}

export interface NodeLive {
  status: NodeStatus;
  attempts: number;
  /** Items this node produced when it fanned out or ran in a batch. */
  items?: number;
  durationMs?: number;
  logs: number;
  error?: unknown;
  retryInSeconds?: number;
  /** Why a node was skipped ("fanned_out": its items continue in child runs). */
  reason?: string;
}

export interface LiveRun {
  runId: string;
  /** The run's status: pending, running, waiting, then succeeded / failed / review / cancelled / dead. */
  status: string;
  lastSeq: number;
  nodes: Record<string, NodeLive>;
  /** Events received after a gap, by seq, waiting for the missing ones. */
  held: Record<number, RunEvent>;
  error?: unknown;
}

export const FINISHED = new Set(["succeeded", "failed", "review", "cancelled", "dead"]);

export function initLive(runId: string, nodeIds: string[], status = "pending"): LiveRun {
  const nodes: Record<string, NodeLive> = {};
  for (const id of nodeIds) nodes[id] = { status: "pending", attempts: 0, logs: 0 };
  return { runId, status, lastSeq: 0, nodes, held: {} };
}

/** True when events are missing before the held ones: the caller should fetch after ``lastSeq``. */
export function needsResync(live: LiveRun): boolean {
  return Object.keys(live.held).length > 0;
}

export function isFinished(live: LiveRun): boolean {
  return FINISHED.has(live.status);
}

function node(live: LiveRun, id: string): NodeLive {
  return live.nodes[id] ?? { status: "pending", attempts: 0, logs: 0 };
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** One in-order event applied. */
function apply(live: LiveRun, event: RunEvent): LiveRun {
  const next: LiveRun = { ...live, lastSeq: event.seq };
  const payload = event.payload ?? {};
  const [scope, what] = event.type.split(".", 2);
  if (scope === "run") {
    if (what === "created") return next;
    next.status = what === "started" ? "running" : what;
    if (payload.error !== undefined) next.error = payload.error;
    return next;
  }
  if (scope !== "node" || !event.node_id) return next;
  const current = node(live, event.node_id);
  const attempts = num(payload.attempt) ?? current.attempts;
  let changed: NodeLive;
  switch (what) {
    case "started":
      changed = { ...current, status: "running", attempts, error: undefined, retryInSeconds: undefined };
      break;
    case "retrying":
      changed = { ...current, status: "retrying", attempts, error: payload.error, retryInSeconds: num(payload.delay_seconds) };
      break;
    case "succeeded":
      changed = {
        ...current,
        status: "succeeded",
        attempts,
        error: undefined,
        retryInSeconds: undefined,
        durationMs: num(payload.duration_ms),
        items: num(payload.child_runs) ?? num(payload.batch_size) ?? current.items,
      };
      break;
    case "failed":
      changed = { ...current, status: "failed", attempts, error: payload.error, retryInSeconds: undefined };
      break;
    case "skipped":
      // Fanned out: not skipped but handed to child runs (see children.ts); pending until they report.
      changed =
        payload.reason === "fanned_out"
          ? { ...current, status: "pending", reason: "fanned_out" }
          : { ...current, status: "skipped", reason: typeof payload.reason === "string" ? payload.reason : undefined };
      break;
    case "log":
      changed = { ...current, logs: current.logs + 1 };
      break;
    default:
      return next;
  }
  if (!isFinished(next) && next.status === "pending") next.status = "running";
  return { ...next, nodes: { ...live.nodes, [event.node_id]: changed } };
}

/** Applies an event: in order, once. Out-of-order events wait in ``held`` until the gap is filled. */
export function applyEvent(live: LiveRun, event: RunEvent): LiveRun {
  if (event.run_id && event.run_id !== live.runId) return live;
  if (event.seq <= live.lastSeq || live.held[event.seq]) return live;
  if (event.seq > live.lastSeq + 1) return { ...live, held: { ...live.held, [event.seq]: event } };
  let next = apply(live, event);
  const held = { ...live.held };
  while (held[next.lastSeq + 1]) {
    const following = held[next.lastSeq + 1];
    delete held[next.lastSeq + 1];
    next = apply(next, following);
  }
  return { ...next, held };
}

export function applyEvents(live: LiveRun, events: RunEvent[]): LiveRun {
  return events.reduce(applyEvent, live);
}

/** The canvas status of a node: idle when there is no run. */
export function statusOf(live: LiveRun | null, nodeId: string): NodeStatus {
  if (!live) return "idle";
  return live.nodes[nodeId]?.status ?? "pending";
}
