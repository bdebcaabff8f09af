import { describe, expect, it } from "vitest";
import { evaluatePreview } from "./ExpressionField";

describe("JSONata preview", () => {
  it("evaluates against the sample, with $trigger bound to it", async () => {
    expect(await evaluatePreview("$sum(lines.amount)", { lines: [{ amount: 70 }, { amount: 50 }] })).toEqual({ state: "ok", value: 120 });
    expect(await evaluatePreview("$trigger.id", { id: "PO-1" })).toEqual({ state: "ok", value: "PO-1" });
  });

  it("reports syntax errors with their position and stays idle when empty", async () => {
    const result = await evaluatePreview("lines[", {});
    expect(result.state).toBe("error");
    expect(await evaluatePreview("  ", {})).toEqual({ state: "idle" });
  });
});
