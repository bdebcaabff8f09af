import { describe, expect, it } from "vitest";
import { filtersFromSearch, nextDay, runsQuery, toQuery } from "./query";

describe("toQuery", () => {
  it("leaves out empty values and joins lists", () => {
    expect(toQuery({ a: "1", b: "", c: undefined, d: null, e: ["x", "y"], f: [], g: 0 })).toBe("?a=1&e=x%2Cy&g=0");
  });
  it("is empty when nothing is set", () => {
    expect(toQuery({ a: "", b: undefined })).toBe("");
  });
});

describe("runsQuery", () => {
  it("turns an inclusive day range into the API's half-open date-times", () => {
    const query = new URLSearchParams(
      runsQuery({ workflow: "w1", status: "failed", from: "2026-11-30", to: "2026-12-31" }, { limit: 25, offset: 50 }),
    );
    expect(query.get("workflow")).toBe("w1");
    expect(query.get("status")).toBe("failed");
    expect(query.get("created_after")).toBe("2026-11-30T00:00:00Z");
    expect(query.get("created_before")).toBe("2027-01-01T00:00:00Z");
    expect(query.get("limit")).toBe("25");
    expect(query.get("offset")).toBe("50");
  });
  it("ignores malformed days and the first page's offset", () => {
    expect(runsQuery({ from: "yesterday", to: "" }, { limit: 10, offset: 0 })).toBe("?limit=10");
  });
});

describe("nextDay", () => {
  it("crosses months, years and leap days", () => {
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
    expect(nextDay("2027-02-28")).toBe("2027-03-01");
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
  });
});

describe("filtersFromSearch", () => {
  it("reads the filters and a valid page from the URL", () => {
    expect(filtersFromSearch(new URLSearchParams("status=review&page=3"))).toEqual({
      workflow: "",
      status: "review",
      from: "",
      to: "",
      page: 3,
    });
    expect(filtersFromSearch(new URLSearchParams("page=-2")).page).toBe(1);
    expect(filtersFromSearch(new URLSearchParams("page=abc")).page).toBe(1);
  });
});
