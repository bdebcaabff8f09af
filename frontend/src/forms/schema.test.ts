import { describe, expect, it } from "vitest";
import { fieldsFor, newRow, parseInput, shownValue, widgetFor } from "./schema";
import { getAt, setAt } from "./paths";
import { issueField, issuesFromBody, placeIssues } from "./issues";

const SCHEMA = {
  type: "object",
  required: ["url", "cases"],
  properties: {
    connection: { type: "string", format: "connection", title: "Xero connection" },
    account_code: { type: "string", title: "Account" },
    method: { enum: ["GET", "POST"], title: "Method", default: "POST" },
    url: { type: "string", title: "URL", description: "http:// or https://" },
    condition: { type: "string", format: "jsonata" },
    send_body: { type: "boolean", default: true },
    timeout: { type: "number", minimum: 1 },
    page_size: { type: "integer", default: 100 },
    retry: { type: "object", title: "Retry", properties: { max: { type: "integer", default: 3 } } },
    cases: {
      type: "array",
      items: {
        type: "object",
        required: ["port", "condition"],
        properties: {
          port: { enum: ["case_1", "case_2"] },
          condition: { type: "string", format: "jsonata", title: "Condition" },
        },
      },
    },
    statuses: { type: "array", items: { type: "integer" } },
    sample: { format: "json", title: "Sample input" },
    extra: { type: "object" },
  },
};

const fields = fieldsFor(SCHEMA, { optionSources: ["account_code"] });
const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));

describe("schema to form", () => {
  it("picks a widget per schema", () => {
    expect(Object.fromEntries(fields.map((f) => [f.key, f.widget]))).toEqual({
      connection: "connection",
      account_code: "options",
      method: "select",
      url: "text",
      condition: "expression",
      send_body: "checkbox",
      timeout: "number",
      page_size: "integer",
      retry: "object",
      cases: "table",
      statuses: "list",
      sample: "json",
      extra: "json",
    });
  });

  it("labels from the title or the key, marks required, keeps descriptions and defaults", () => {
    expect(byKey.url).toMatchObject({ label: "URL", required: true, description: "http:// or https://" });
    expect(byKey.condition).toMatchObject({ label: "condition", required: false });
    expect(byKey.method).toMatchObject({ default: "POST", choices: ["GET", "POST"] });
    expect(shownValue(byKey.method, undefined)).toBe("POST");
    expect(shownValue(byKey.method, "GET")).toBe("GET");
  });

  it("nests object fields under dotted paths", () => {
    expect(byKey.retry.children?.map((c) => [c.path, c.widget, c.default])).toEqual([["retry.max", "integer", 3]]);
  });

  it("describes table rows and creates new rows from their schema", () => {
    expect(byKey.cases.children?.map((c) => [c.path, c.widget, c.required])).toEqual([
      ["port", "select", true],
      ["condition", "expression", true],
    ]);
    expect(newRow(byKey.cases)).toEqual({ port: "case_1", condition: "" });
    expect(byKey.statuses.item?.widget).toBe("integer");
  });

  it("treats option sources only at the top level of config", () => {
    expect(widgetFor({ type: "string" }, "nested.account_code", { optionSources: ["account_code"] })).toBe("text");
  });

  it("parses typed input into stored values", () => {
    expect(parseInput(byKey.timeout, "2.5")).toBe(2.5);
    expect(parseInput(byKey.timeout, "")).toBeUndefined();
    expect(parseInput(byKey.url, "")).toBe("");
    expect(parseInput(byKey.condition, "")).toBeUndefined();
    expect(parseInput(byKey.method, "GET")).toBe("GET");
  });
});

describe("paths", () => {
  it("reads and writes dotted paths without mutating", () => {
    const config = { cases: [{ port: "case_1" }], retry: { max: 1 } };
    const next = setAt(config, "cases.0.condition", "a > 1");
    expect(getAt(next, "cases.0")).toEqual({ port: "case_1", condition: "a > 1" });
    expect(Array.isArray(next.cases)).toBe(true);
    expect(config.cases[0]).toEqual({ port: "case_1" });
    expect(setAt({}, "a.b", 1)).toEqual({ a: { b: 1 } });
    expect(setAt({ a: 1, b: 2 }, "a", undefined)).toEqual({ b: 2 });
  });
});

describe("server issues", () => {
  it("places issues on nodes and fields, pointing missing properties at themselves", () => {
    const issues = [
      { node: "http", field: "config", code: "config", message: "'url' is a required property" },
      { node: "http", field: "config.cases.0.condition", code: "config", message: "'' is too short" },
      { node: "log", field: "inputs.in", code: "unwired_input", message: "input 'in' must be connected" },
      { node: null, field: null, code: "no_trigger", message: "add a trigger node" },
    ];
    expect(issueField(issues[0])).toBe("config.url");
    const placed = placeIssues(issues);
    expect(Object.keys(placed.byNode)).toEqual(["http", "log"]);
    expect(placed.byField.http).toEqual({
      "config.url": ["'url' is a required property"],
      "config.cases.0.condition": ["'' is too short"],
    });
    expect(placed.general).toHaveLength(1);
    expect(issuesFromBody({ detail: "x", errors: issues })).toHaveLength(4);
    expect(issuesFromBody("nope")).toEqual([]);
  });
});
