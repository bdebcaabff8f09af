import { describe, expect, it } from "vitest";
import { lineAndColumn, parseJson, prettyJson } from "./json";

describe("parseJson", () => {
  it("accepts valid JSON", () => {
    expect(parseJson('{"po": "A1", "lines": [1, 2]}')).toEqual({ ok: true, value: { po: "A1", lines: [1, 2] } });
  });
  it("says what is wrong with invalid JSON", () => {
    const result = parseJson('{\n  "po": "A1",\n}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/Invalid JSON/);
  });
  it("asks for a value when the text is empty", () => {
    expect(parseJson("  ")).toEqual({ ok: false, message: "Enter a JSON value, e.g. {} or []" });
  });
});

describe("lineAndColumn", () => {
  it("counts lines and columns from 1", () => {
    expect(lineAndColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn("abc", 0)).toEqual({ line: 1, column: 1 });
  });
});

describe("prettyJson", () => {
  it("indents, and shows nothing for undefined", () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson(undefined)).toBe("");
  });
});
