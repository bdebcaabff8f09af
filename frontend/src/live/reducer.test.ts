import { describe, expect, it } from "vitest";
import { applyEvent, applyEvents, initLive, isFinished, needsResync, statusOf, type RunEvent } from "./reducer";

let id = 0;
function ev(seq: number, type: string, node_id: string | null = null, payload: Record<string, unknown> = {}): RunEvent {
  id += 1;
  return { id, seq, run_id: "r1", type, node_id, at: "2026-01-01T00:00:00Z", payload };
}

const STREAM = [
  ev(1, "run.created"),
  ev(2, "run.started"),
  ev(3, "node.started", "a", { attempt: 1 }),
  ev(4, "node.succeeded", "a", { attempt: 1, duration_ms: 3 }),
  ev(5, "node.started", "b", { attempt: 1 }),
  ev(6, "node.retrying", "b", { attempt: 1, delay_seconds: 2, error: { message: "429" } }),
  ev(7, "node.started", "b", { attempt: 2 }),
  ev(8, "node.log", "b", { message: "hi" }),
  ev(9, "node.succeeded", "b", { attempt: 2, child_runs: 4 }),
  ev(10, "node.skipped", "c", { reason: "branch" }),
  ev(11, "run.succeeded", null, { duration_ms: 12 }),
];

describe("run event reducer", () => {
  it("starts with every node pending", () => {
    const live = initLive("r1", ["a", "b"]);
    expect(statusOf(live, "a")).toBe("pending");
    expect(statusOf(null, "a")).toBe("idle");
  });

  it("tracks node statuses, attempts, items and the run's status", () => {
    let live = initLive("r1", ["a", "b", "c"]);
    live = applyEvents(live, STREAM.slice(0, 6));
    expect(live.status).toBe("running");
    expect(live.nodes.a).toMatchObject({ status: "succeeded", attempts: 1, durationMs: 3 });
    expect(live.nodes.b).toMatchObject({ status: "retrying", attempts: 1, retryInSeconds: 2, error: { message: "429" } });
    live = applyEvents(live, STREAM.slice(6));
    expect(live.nodes.b).toMatchObject({ status: "succeeded", attempts: 2, items: 4, logs: 1, error: undefined });
    expect(live.nodes.c.status).toBe("skipped");
    expect(live.status).toBe("succeeded");
    expect(isFinished(live)).toBe(true);
    expect(live.lastSeq).toBe(11);
  });

  it("records failures with their error", () => {
    const live = applyEvents(initLive("r1", ["a"]), [
      ev(1, "node.started", "a", { attempt: 1 }),
      ev(2, "node.failed", "a", { attempt: 1, error: { code: "x" } }),
      ev(3, "run.failed", null, { error: { node_id: "a" } }),
    ]);
    expect(live.nodes.a).toMatchObject({ status: "failed", error: { code: "x" } });
    expect(live.status).toBe("failed");
    expect(live.error).toEqual({ node_id: "a" });
  });

  it("ignores duplicates (a reconnect replays what was already seen)", () => {
    const once = applyEvents(initLive("r1", ["a", "b"]), STREAM.slice(0, 8));
    const twice = applyEvents(once, STREAM.slice(2, 8));
    expect(twice).toBe(once);
    expect(twice.nodes.b.logs).toBe(1);
  });

  it("holds events after a gap, asks for a resync, then applies them in seq order", () => {
    let live = applyEvents(initLive("r1", ["a", "b"]), STREAM.slice(0, 3));
    live = applyEvent(live, STREAM[5]);
    live = applyEvent(live, STREAM[4]);
    expect(needsResync(live)).toBe(true);
    expect(live.lastSeq).toBe(3);
    expect(live.nodes.b.status).toBe("pending");
    live = applyEvent(live, STREAM[3]);
    expect(needsResync(live)).toBe(false);
    expect(live.lastSeq).toBe(6);
    expect(live.nodes.b.status).toBe("retrying");
  });

  it("ignores events of other runs", () => {
    const live = initLive("r1", ["a"]);
    expect(applyEvent(live, { ...ev(1, "node.started", "a"), run_id: "other" })).toBe(live);
  });
});
