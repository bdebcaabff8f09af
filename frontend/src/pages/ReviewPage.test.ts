import { describe, expect, it } from "vitest";
import { reviewReason } from "./ReviewPage";

describe("reviewReason", () => {
  it("names the node and its reason", () => {
    expect(reviewReason({ error: { node_id: "sku", message: "unknown SKU ABC-1" } })).toBe("sku: unknown SKU ABC-1");
    expect(reviewReason({ error: { reason: "missing tax map" } })).toBe("missing tax map");
  });
  it("falls back to a generic reason", () => {
    expect(reviewReason({ error: null })).toBe("flagged for review");
  });
});
