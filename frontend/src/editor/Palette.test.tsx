import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeTypeInfo } from "../graph/types";
import { Palette } from "./Palette";

function type(id: string, title: string, category: string): NodeTypeInfo {
  return {
    type: id,
    version: 1,
    title,
    category,
    icon: "box",
    description: "",
    config_schema: { type: "object", properties: {} },
    inputs: [],
    outputs: [],
    connection_kind: null,
    trigger: null,
    option_sources: [],
    sample_input: null,
  };
}

const TYPES = [type("acme.thing", "Acme thing", "Acme"), type("builtin.map", "Map", "Data"), type("builtin.trigger.manual", "Manual", "Triggers")];

afterEach(cleanup);

describe("palette", () => {
  it("lists every node type it is given, triggers first, grouped by category", () => {
    const { container } = render(<Palette nodeTypes={TYPES} onAdd={() => undefined} />);
    expect([...container.querySelectorAll("h3")].map((h) => h.textContent)).toEqual(["Triggers", "Acme", "Data"]);
    expect(screen.getByTestId("palette-item-acme.thing").getAttribute("draggable")).toBe("true");
  });

  it("filters by search and adds with Enter", () => {
    const onAdd = vi.fn();
    render(<Palette nodeTypes={TYPES} onAdd={onAdd} />);
    fireEvent.change(screen.getByLabelText("Search node types"), { target: { value: "acme" } });
    expect(screen.queryByTestId("palette-item-builtin.map")).toBeNull();
    fireEvent.keyDown(screen.getByTestId("palette-item-acme.thing"), { key: "Enter" });
    expect(onAdd).toHaveBeenCalledWith(TYPES[0]);
  });
});
