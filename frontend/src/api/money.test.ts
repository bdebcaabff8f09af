import { describe, expect, it } from "vitest";
import { formatMoney, isZeroDecimal } from "./money";

describe("isZeroDecimal", () => {
  it("recognises zero in every spelling", () => {
    for (const zero of ["0", "0.00", "-0.00", "+000.0", ".0", ""]) expect(isZeroDecimal(zero)).toBe(true);
  });
  it("sees a single cent", () => {
    for (const amount of ["0.01", "-0.01", "10", "0.001"]) expect(isZeroDecimal(amount)).toBe(false);
  });
});

describe("formatMoney", () => {
  it("keeps the amount exactly as the server wrote it", () => {
    expect(formatMoney("1234.50", "GBP")).toBe("1234.50 GBP");
    expect(formatMoney("0.10")).toBe("0.10");
  });
});
