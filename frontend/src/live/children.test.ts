import { describe, expect, it } from "vitest";
import { foldChildren } from "./children";
import { applyEvents, initLive, type RunEvent } from "./reducer";

const ev = (seq: number, type: string, node_id: string | null, payload: Record<string, unknown> = {}): RunEvent => ({
  id: seq,
  seq,
  run_id: "p",
  type,
  node_id,
  at: "",
  payload,
});

const parent = applyEvents(initLive("p", ["split", "post", "log"]), [
  ev(1, "node.started", "split", { attempt: 1 }),
  ev(2, "node.skipped", "post", { reason: "fanned_out" }),
  ev(3, "node.skipped", "log", { reason: "fanned_out" }),
  ev(4, "node.succeeded", "split", { attempt: 1, child_runs: 2 }),
  ev(5, "run.succeeded", null),
]);

describe("fanned-out nodes", () => {
  it("are pending, not skipped, until the children report", () => {
    expect(parent.nodes.post).toMatchObject({ status: "pending", reason: "fanned_out" });
  });

  it("show the children's combined status, items and attempts", () => {
    const live = foldChildren(parent, [
      { id: "c1", status: "succeeded", node_runs: [{ node_id: "post", status: "succeeded", attempts: 1 }, { node_id: "log", status: "succeeded", attempts: 1 }] },
      { id: "c2", status: "running", node_runs: [{ node_id: "post", status: "retrying", attempts: 2 }] },
    ]);
    expect(live.nodes.split).toMatchObject({ status: "succeeded", items: 2 });
    expect(live.nodes.post).toMatchObject({ status: "retrying", items: 2, attempts: 2 });
    expect(live.nodes.log).toMatchObject({ status: "running", items: 1 });
  });

  it("fail when any child failed there, and keep other skips", () => {
    const live = foldChildren(parent, [
      { id: "c1", status: "failed", node_runs: [{ node_id: "post", status: "failed", attempts: 1, error: { code: "x" } }] },
    ]);
    expect(live.nodes.post).toMatchObject({ status: "failed", error: { code: "x" } });
    expect(live.nodes.log.status).toBe("skipped");
    expect(foldChildren(parent, [])).toBe(parent);
  });
});
