// The edited graph with undo/redo, selection and the clipboard.

import { useCallback, useRef, useState } from "react";
import { initHistory, push, redo as redoStep, replace, undo as undoStep, type History } from "../graph/history";
import {
  addNode,
  connect,
  copySelection,
  EMPTY_GRAPH,
  paste,
  removeElements,
  type Clipboard,
  type Connection,
  type Graph,
} from "../graph/model";
import type { NodeTypeInfo } from "../graph/types";

export interface Selection {
  nodes: string[];
  edges: string[];
}

const NONE: Selection = { nodes: [], edges: [] };

export function useEditorGraph() {
  const [history, setHistory] = useState<History<Graph>>(() => initHistory(EMPTY_GRAPH));
  const [selection, setSelection] = useState<Selection>(NONE);
  const clipboard = useRef<Clipboard | null>(null);
  const dragOrigin = useRef<Graph | null>(null);
  const graph = history.present;

  const lastStep = useRef<{ key: string; at: number } | null>(null);

  /** A new undoable step; edits with the same ``mergeKey`` within a second (typing) make one step. */
  const change = useCallback((edit: (graph: Graph) => Graph, mergeKey?: string) => {
    const now = Date.now();
    const previous = lastStep.current;
    const merge = !!mergeKey && previous?.key === mergeKey && now - previous.at < 1000;
    lastStep.current = mergeKey ? { key: mergeKey, at: now } : null;
    setHistory((h) => (merge && h.past.length ? { ...h, present: edit(h.present), future: [] } : push(h, edit(h.present))));
  }, []);

  const reset = useCallback((next: Graph) => {
    setHistory(initHistory(next));
    setSelection(NONE);
  }, []);

  const add = useCallback((type: NodeTypeInfo, position: { x: number; y: number }) => {
    setHistory((h) => {
      const [next, node] = addNode(h.present, type, position);
      setSelection({ nodes: [node.id], edges: [] });
      return push(h, next);
    });
  }, []);

  const link = useCallback((c: Connection) => change((g) => connect(g, c)), [change]);

  const deleteSelection = useCallback(() => {
    change((g) => removeElements(g, selection.nodes, selection.edges));
    setSelection(NONE);
  }, [change, selection]);

  const copy = useCallback(() => {
    if (selection.nodes.length) clipboard.current = copySelection(graph, selection.nodes);
  }, [graph, selection]);

  const pasteClipboard = useCallback(() => {
    const clip = clipboard.current;
    if (!clip) return;
    setHistory((h) => {
      const [next, ids] = paste(h.present, clip);
      setSelection({ nodes: ids, edges: [] });
      return push(h, next);
    });
    // A second paste lands further along instead of on top of the first.
    clipboard.current = {
      ...clip,
      nodes: clip.nodes.map((n) => ({ ...n, position: { x: n.position.x + 40, y: n.position.y + 40 } })),
    };
  }, []);

  /** Moves while dragging are not steps; the drag as a whole is one. */
  const dragStart = useCallback(() => {
    dragOrigin.current = history.present;
  }, [history.present]);
  const dragMove = useCallback((edit: (graph: Graph) => Graph) => setHistory((h) => replace(h, edit(h.present))), []);
  const dragEnd = useCallback(() => {
    const origin = dragOrigin.current;
    dragOrigin.current = null;
    if (!origin) return;
    setHistory((h) =>
      h.present === origin ? h : { past: [...h.past, origin].slice(-200), present: h.present, future: [] },
    );
  }, []);

  const undo = useCallback(() => {
    lastStep.current = null;
    setHistory(undoStep);
  }, []);
  const redo = useCallback(() => {
    lastStep.current = null;
    setHistory(redoStep);
  }, []);

  return {
    graph,
    canUndo: history.past.length > 0,
    canRedo: history.future.length > 0,
    selection,
    setSelection,
    change,
    reset,
    add,
    link,
    deleteSelection,
    copy,
    paste: pasteClipboard,
    dragStart,
    dragMove,
    dragEnd,
    undo,
    redo,
  };
}

export type EditorGraph = ReturnType<typeof useEditorGraph>;
