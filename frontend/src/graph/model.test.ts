import { describe, expect, it } from "vitest";
import {
  addNode,
  connect,
  connectionProblem,
  copySelection,
  fromDocument,
  paste,
  removeElements,
  renameNode,
  toDocument,
} from "./model";
import { diffDocuments, isEmptyDiff } from "./diff";
import { initHistory, push, redo, undo } from "./history";
import type { NodeTypeInfo, WorkflowDocument } from "./types";

const MAP: NodeTypeInfo = {
  type: "builtin.map",
  version: 2,
  title: "Map / transform",
  category: "Data",
  icon: "shuffle",
  description: "",
  config_schema: {
    type: "object",
    properties: {
      mode: { enum: ["expression", "fields"], default: "expression" },
      expression: { type: "string", format: "jsonata" },
      fields: { type: "array", default: [] },
    },
  },
  inputs: [{ name: "in", title: "in", required: true }],
  outputs: [{ name: "out", title: "out", required: true }],
  connection_kind: null,
  trigger: null,
  option_sources: [],
  sample_input: null,
};

const DOC: WorkflowDocument = {
  schema: 1,
  nodes: [
    { id: "start", type: "builtin.trigger.manual", version: 1, name: "Start", position: [0, 0], config: {}, notes: "keep me" },
    { id: "big", type: "builtin.branch", version: 1, name: "Big?", position: [200, 10], config: { condition: "total > 100" } },
    { id: "log", type: "builtin.debug", version: 1, name: "Log", position: [400, 0], config: { label: "x" } },
  ],
  edges: [
    { id: "e1", source: "start", source_port: "out", target: "big", target_port: "in" },
    { id: "e2", source: "big", source_port: "true", target: "log", target_port: "in", future_field: 7 },
  ],
  layout: { zoom: 1 },
};

describe("document round trip", () => {
  it("serialises back exactly, keeping fields the editor does not know", () => {
    expect(toDocument(fromDocument(DOC))).toEqual(DOC);
  });

  it("fills the API's defaults for missing ports, version and position", () => {
    const doc = toDocument(
      fromDocument({ schema: 1, nodes: [{ id: "a", type: "t" }], edges: [{ id: "e", source: "a", target: "a" }] }),
    );
    expect(doc.nodes[0]).toEqual({ id: "a", type: "t", version: 1, name: "", position: [40, 200], config: {} });
    expect(doc.edges[0]).toEqual({ id: "e", source: "a", source_port: "out", target: "a", target_port: "in" });
  });

  it("does not share config objects with the source document", () => {
    const graph = fromDocument(DOC);
    (graph.nodes[1].config as { condition: string }).condition = "changed";
    expect(DOC.nodes[1].config).toEqual({ condition: "total > 100" });
  });
});

describe("editing", () => {
  it("adds a node with a unique id, the type's version and its config defaults", () => {
    const [g1, first] = addNode(fromDocument(DOC), MAP, { x: 10.4, y: 20.6 });
    const [, second] = addNode(g1, MAP, { x: 0, y: 0 });
    expect(first).toMatchObject({ id: "map", type: "builtin.map", version: 2, name: "Map / transform" });
    expect(first.position).toEqual({ x: 10, y: 21 });
    expect(first.config).toEqual({ mode: "expression", fields: [] });
    expect(second.id).toBe("map_2");
  });

  it("removes nodes with their edges", () => {
    const graph = removeElements(fromDocument(DOC), ["big"]);
    expect(graph.nodes.map((n) => n.id)).toEqual(["start", "log"]);
    expect(graph.edges).toEqual([]);
  });

  it("removes single edges", () => {
    expect(removeElements(fromDocument(DOC), [], ["e2"]).edges.map((e) => e.id)).toEqual(["e1"]);
  });

  it("connects named ports with a fresh edge id", () => {
    const graph = connect(fromDocument(DOC), { source: "big", sourcePort: "false", target: "log", targetPort: "in" });
    expect(toDocument(graph).edges[2]).toEqual({ id: "e3", source: "big", source_port: "false", target: "log", target_port: "in" });
  });

  it("refuses self loops, duplicates and cycles", () => {
    const graph = fromDocument(DOC);
    expect(connectionProblem(graph, { source: "log", sourcePort: "out", target: "log", targetPort: "in" })).toMatch(/itself/);
    expect(connectionProblem(graph, { source: "big", sourcePort: "true", target: "log", targetPort: "in" })).toMatch(/already/);
    expect(connectionProblem(graph, { source: "log", sourcePort: "out", target: "big", targetPort: "in" })).toMatch(/loop/);
    expect(connect(graph, { source: "log", sourcePort: "out", target: "start", targetPort: "in" })).toBe(graph);
  });

  it("renames a node and rewires its edges, refusing invalid or taken ids", () => {
    const graph = renameNode(fromDocument(DOC), "big", "is_big");
    expect(graph.edges.map((e) => [e.source, e.target])).toEqual([["start", "is_big"], ["is_big", "log"]]);
    expect(renameNode(graph, "is_big", "log")).toBe(graph);
    expect(renameNode(graph, "is_big", "has space")).toBe(graph);
  });

  it("copies and pastes nodes with the edges between them under new ids", () => {
    const graph = fromDocument(DOC);
    const clip = copySelection(graph, ["big", "log"]);
    expect(clip.edges.map((e) => e.id)).toEqual(["e2"]);
    const [pasted, ids] = paste(graph, clip);
    expect(ids).toEqual(["big_2", "log_2"]);
    expect(pasted.nodes.find((n) => n.id === "big_2")?.position).toEqual({ x: 240, y: 50 });
    const edge = pasted.edges[pasted.edges.length - 1];
    expect([edge.source, edge.sourcePort, edge.target]).toEqual(["big_2", "true", "log_2"]);
  });
});

describe("history", () => {
  it("undoes and redoes steps", () => {
    let history = initHistory(1);
    history = push(push(history, 2), 3);
    history = undo(undo(history));
    expect(history.present).toBe(1);
    history = redo(history);
    expect(history.present).toBe(2);
    history = push(history, 9);
    expect(history.future).toEqual([]);
    expect(undo(initHistory(5)).present).toBe(5);
  });
});

describe("diff", () => {
  it("lists added, removed and changed nodes, config fields and edges", () => {
    const after = structuredClone(DOC);
    after.nodes[1].config = { condition: "total > 200" };
    after.nodes[1].position = [999, 999];
    after.nodes = after.nodes.filter((n) => n.id !== "log");
    after.nodes.push({ id: "new", type: "builtin.debug", config: {} });
    after.edges = [after.edges[0], { id: "e9", source: "big", source_port: "false", target: "new" }];
    const diff = diffDocuments(DOC, after);
    expect(diff.addedNodes.map((n) => n.id)).toEqual(["new"]);
    expect(diff.removedNodes.map((n) => n.id)).toEqual(["log"]);
    expect(diff.changedNodes).toEqual([
      { id: "big", fields: [{ path: "config.condition", before: "total > 100", after: "total > 200" }] },
    ]);
    expect(diff.addedEdges.map((e) => e.id)).toEqual(["e9"]);
    expect(diff.removedEdges.map((e) => e.id)).toEqual(["e2"]);
    expect(isEmptyDiff(diffDocuments(DOC, structuredClone(DOC)))).toBe(true);
  });
});
