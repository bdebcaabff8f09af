import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { fieldsFor } from "../forms/schema";
import { SchemaForm, type FormEnv } from "./SchemaForm";

// A node type no frontend code knows: the form must come from its schema alone.
const SCHEMA = {
  type: "object",
  required: ["target"],
  properties: {
    target: { type: "string", title: "Target system" },
    mode: { enum: ["fast", "safe"], default: "safe", title: "Mode" },
    retries: { type: "integer", title: "Retries" },
    dry_run: { type: "boolean", title: "Dry run" },
    rows: {
      type: "array",
      title: "Rows",
      items: { type: "object", properties: { key: { type: "string", title: "Key" } } },
    },
  },
};

const ENV: FormEnv = {
  nodeType: "acme.custom",
  connectionKind: null,
  connections: [],
  errors: { "config.target": ["'target' is a required property"] },
  sample: {},
};

let latest: Record<string, unknown> = {};

function Harness() {
  const [config, setConfig] = useState<Record<string, unknown>>({});
  latest = config;
  return <SchemaForm fields={fieldsFor(SCHEMA, { optionSources: [] })} config={config} onChange={setConfig} env={ENV} />;
}

afterEach(cleanup);

describe("generated config form", () => {
  it("renders labelled inputs named config.<path> and writes typed values", () => {
    const { container } = render(<Harness />);
    const target = screen.getByLabelText(/Target system/);
    expect(target.getAttribute("name")).toBe("config.target");
    fireEvent.change(target, { target: { value: "books" } });
    fireEvent.change(screen.getByLabelText("Retries"), { target: { value: "3" } });
    fireEvent.click(screen.getByLabelText("Dry run"));
    expect(latest).toEqual({ target: "books", retries: 3, dry_run: true });
    expect((screen.getByLabelText("Mode") as HTMLSelectElement).value).toBe("safe");
    expect(container.querySelector('[data-testid="field-error-config.target"]')?.textContent).toMatch(/required/);
  });

  it("adds and removes table rows with dotted input names", () => {
    const { container } = render(<Harness />);
    fireEvent.click(screen.getByRole("button", { name: "Add row" }));
    const key = container.querySelector('[name="config.rows.0.key"]') as HTMLInputElement;
    fireEvent.change(key, { target: { value: "SKU" } });
    expect(latest.rows).toEqual([{ key: "SKU" }]);
    fireEvent.click(screen.getByRole("button", { name: "Remove Rows row 1" }));
    expect(latest.rows).toEqual([]);
  });
});
