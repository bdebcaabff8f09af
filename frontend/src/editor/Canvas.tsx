import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Edge,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnConnect,
} from "@xyflow/react";
import { useCallback, useMemo, useRef, type DragEvent } from "react";
import { connectionProblem, moveNodes } from "../graph/model";
import type { NodeTypeInfo } from "../graph/types";
import { statusOf, type LiveRun } from "../live/reducer";
import { CanvasNode, type CanvasNodeType } from "./CanvasNode";
import { DRAG_TYPE } from "./Palette";
import type { EditorGraph } from "./useEditorGraph";

const NODE_TYPES = { ledgerline: CanvasNode };
const FIT_VIEW = { padding: 0.15, maxZoom: 1 };
const MULTI_SELECT = ["Shift", "Meta", "Control"];
const minimapNodeColor = (n: { data: Record<string, unknown> }) => minimapColor(String(n.data.status));

interface CanvasProps {
  editor: EditorGraph;
  types: Map<string, NodeTypeInfo>;
  live: LiveRun | null;
  issuesByNode: Record<string, { message: string }[]>;
  onNodeClick: (id: string) => void;
}

/** The React Flow canvas over the graph model (controlled: the model is the only state). */
export function Canvas({ editor, types, live, issuesByNode, onNodeClick }: CanvasProps) {
  const { graph, selection } = editor;
  const flow = useReactFlow();
  // React Flow stores its handlers: keep them stable and read the latest editor through a ref.
  const ref = useRef({ editor, graph, onNodeClick });
  ref.current = { editor, graph, onNodeClick };
  const measured = useRef(new Map<string, { width: number; height: number }>());
  const selectedNodes = useMemo(() => new Set(selection.nodes), [selection.nodes]);
  const selectedEdges = useMemo(() => new Set(selection.edges), [selection.edges]);

  const nodes: CanvasNodeType[] = useMemo(() => graph.nodes.map((node) => ({
    id: node.id,
    type: "ledgerline",
    position: node.position,
    selected: selectedNodes.has(node.id),
    measured: measured.current.get(node.id),
    data: {
      name: node.name,
      typeId: node.type,
      nodeType: types.get(node.type),
      status: statusOf(live, node.id),
      live: live?.nodes[node.id],
      issues: (issuesByNode[node.id] ?? []).map((i) => i.message),
    },
  })), [graph.nodes, selectedNodes, types, live, issuesByNode]);
  const edges: Edge[] = useMemo(() => graph.edges.map((edge) => {
    const source = statusOf(live, edge.source);
    return {
      id: edge.id,
      source: edge.source,
      sourceHandle: edge.sourcePort,
      target: edge.target,
      targetHandle: edge.targetPort,
      selected: selectedEdges.has(edge.id),
      animated: source === "running",
      className: source === "succeeded" ? "ed-edge-done" : undefined,
      label: (types.get(graph.nodes.find((n) => n.id === edge.source)?.type ?? "")?.outputs.length ?? 1) > 1 ? edge.sourcePort : undefined,
    };
  }), [graph.edges, graph.nodes, selectedEdges, types, live]);

  const onNodesChange = useCallback((changes: NodeChange<CanvasNodeType>[]) => {
    const positions: Record<string, { x: number; y: number }> = {};
    for (const change of changes) {
      if (change.type === "dimensions" && change.dimensions) measured.current.set(change.id, change.dimensions);
      if (change.type === "position" && change.position) positions[change.id] = change.position;
    }
    if (Object.keys(positions).length) ref.current.editor.dragMove((g) => moveNodes(g, positions));
    applySelect(changes, "nodes");
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => applySelect(changes, "edges"), []);

  /** Selection changes from clicks, Shift+click and box selection. */
  function applySelect(changes: (NodeChange<CanvasNodeType> | EdgeChange)[], kind: "nodes" | "edges") {
    const picks = changes.filter((c): c is { type: "select"; id: string; selected: boolean } => c.type === "select");
    if (!picks.length) return;
    ref.current.editor.setSelection((current) => {
      const ids = new Set(current[kind]);
      for (const pick of picks) {
        if (pick.selected) ids.add(pick.id);
        else ids.delete(pick.id);
      }
      const next = [...ids];
      return sameIds(next, current[kind]) ? current : { ...current, [kind]: next };
    });
  }

  const toConnection = (c: { source: string | null; sourceHandle?: string | null; target: string | null; targetHandle?: string | null }) => ({
    source: c.source ?? "",
    sourcePort: c.sourceHandle ?? "out",
    target: c.target ?? "",
    targetPort: c.targetHandle ?? "in",
  });
  const onConnect: OnConnect = useCallback((c) => ref.current.editor.link(toConnection(c)), []);
  const isValidConnection: IsValidConnection = useCallback(
    (c) => connectionProblem(ref.current.graph, toConnection(c)) === null,
    [],
  );
  const onDragStart = useCallback(() => ref.current.editor.dragStart(), []);
  const onDragEnd = useCallback(() => ref.current.editor.dragEnd(), []);
  const onClick = useCallback((_: unknown, node: { id: string }) => ref.current.onNodeClick(node.id), []);

  const onDragOver = (event: DragEvent) => {
    if (event.dataTransfer.types.includes(DRAG_TYPE)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  };
  const onDrop = (event: DragEvent) => {
    const typeId = event.dataTransfer.getData(DRAG_TYPE);
    const type = types.get(typeId);
    if (!type) return;
    event.preventDefault();
    const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    editor.add(type, { x: position.x - 90, y: position.y - 30 });
  };

  return (
    <div className="ed-canvas" onDragOver={onDragOver} onDrop={onDrop} aria-label="Workflow canvas">
      <ReactFlow<CanvasNodeType>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onNodeDragStart={onDragStart}
        onSelectionDragStart={onDragStart}
        onNodeDragStop={onDragEnd}
        onSelectionDragStop={onDragEnd}
        onNodeClick={onClick}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT}
        fitView
        fitViewOptions={FIT_VIEW}
        minZoom={0.1}
      >
        <Background gap={16} />
        <Controls showInteractive={false} showFitView={false} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} nodeColor={minimapNodeColor} />
      </ReactFlow>
    </div>
  );
}

function minimapColor(status: string): string {
  return (
    { succeeded: "#16a34a", failed: "#dc2626", running: "#2563eb", retrying: "#d97706", skipped: "#9aa5b1" }[status] ?? "#bcccdc"
  );
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}
