import { useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { issuesFromBody, placeIssues } from "../forms/issues";
import { fromDocument, renameNode, toDocument, updateNode } from "../graph/model";
import type { NodeTypeInfo, ServerIssue, WorkflowDocument } from "../graph/types";
import { editorApi } from "./api";
import { Canvas } from "./Canvas";
import { ConfigPanel } from "./ConfigPanel";
import { HistoryDialog } from "./HistoryDialog";
import { NodeRunPanel } from "./NodeRunPanel";
import { Palette } from "./Palette";
import { RunDialog } from "./RunDialog";
import { SaveDialog } from "./SaveDialog";
import { StaleWarning } from "./StaleWarning";
import { Toolbar } from "./Toolbar";
import { useEditorGraph } from "./useEditorGraph";
import { useUnsavedGuard } from "./useGuards";
import { useKeyboard } from "./useKeyboard";
import { useLiveRun } from "./useLiveRun";
import { useWorkflow } from "./useWorkflow";

type DialogName = "save" | "run" | "history" | null;

/** The canvas editor of one workflow. */
export function Editor({ workflowId }: { workflowId: string }) {
  const wf = useWorkflow(workflowId);
  const editor = useEditorGraph();
  const run = useLiveRun();
  const flow = useReactFlow();
  const [savedJson, setSavedJson] = useState<string>("");
  const [issues, setIssues] = useState<ServerIssue[]>([]);
  const [message, setMessage] = useState<{ kind: "ok" | "error" | "info"; text: string }>();
  const [dialog, setDialog] = useState<DialogName>(null);
  const [tab, setTab] = useState<"config" | "run">("config");
  const [lastRunInput, setLastRunInput] = useState<unknown>();

  const types = useMemo(() => new Map((wf.loaded?.nodeTypes ?? []).map((t) => [t.type, t])), [wf.loaded]);
  const document = useMemo(() => toDocument(editor.graph), [editor.graph]);
  const json = useMemo(() => JSON.stringify(document), [document]);
  const dirty = !!wf.loaded && json !== savedJson;
  useUnsavedGuard(dirty);

  const show = useCallback((doc: WorkflowDocument | null) => {
    const graph = fromDocument(doc ?? wf.empty);
    editor.reset(graph);
    setSavedJson(JSON.stringify(toDocument(graph)));
    setIssues([]);
    setTimeout(() => flow.fitView({ padding: 0.15, maxZoom: 1 }), 50);
  }, [editor.reset, flow, wf.empty]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!wf.loaded) return;
    show(wf.loaded.version?.document ?? null);
    const last = wf.loaded.workflow.last_run;
    if (last) editorApi.run(last.id).then((r) => setLastRunInput(r.input), () => undefined);
  }, [wf.loaded]); // eslint-disable-line react-hooks/exhaustive-deps

  const placed = useMemo(() => placeIssues(issues), [issues]);
  const selectedId = editor.selection.nodes.length === 1 ? editor.selection.nodes[0] : null;
  const selected = editor.graph.nodes.find((n) => n.id === selectedId) ?? null;
  const parentNodeRun = run.detail?.node_runs?.find((n) => n.node_id === selectedId);
  // A node after a fan-out ran in the child runs: show the first item's run.
  const childNodeRun =
    parentNodeRun?.status === "skipped"
      ? run.children.flatMap((c) => c.node_runs ?? []).find((n) => n.node_id === selectedId && n.status !== "skipped")
      : undefined;
  const nodeRun = childNodeRun ?? parentNodeRun;

  const addAtCentre = useCallback(
    (type: NodeTypeInfo) => {
      const rect = window.document.querySelector(".ed-canvas")?.getBoundingClientRect();
      const centre = rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 } : { x: 400, y: 300 };
      const position = flow.screenToFlowPosition(centre);
      const spot = { x: position.x - 90, y: position.y - 30 };
      // Not on top of a node already there (adding twice in a row).
      while (editor.graph.nodes.some((n) => Math.abs(n.position.x - spot.x) < 60 && Math.abs(n.position.y - spot.y) < 40)) spot.y += 90;
      editor.add(type, spot);
    },
    [editor, flow],
  );

  useKeyboard({
    enabled: dialog === null,
    onDelete: editor.deleteSelection,
    onCopy: editor.copy,
    onPaste: editor.paste,
    onUndo: editor.undo,
    onRedo: editor.redo,
    onSave: () => setDialog("save"),
  });

  async function save(text: string) {
    const result = await wf.save(document, text, wf.baseVersion);
    if (result.kind === "saved") {
      setSavedJson(json);
      setIssues([]);
      setMessage({ kind: "ok", text: `Saved version ${result.version.number}` });
      setDialog(null);
    } else if (result.kind === "invalid") {
      const list = issuesFromBody(result.body);
      if (!list.length) throw new Error(JSON.stringify(result.body));
      setIssues(list);
      setDialog(null);
      const general = list.filter((i) => !i.node).map((i) => i.message);
      setMessage({
        kind: "error",
        text: `Not saved: ${list.length} problem${list.length === 1 ? "" : "s"} to fix (marked on the nodes)${general.length ? `: ${general.join("; ")}` : ""}`,
      });
    } else {
      setDialog(null);
      setMessage({ kind: "error", text: `Not saved: version ${result.latest.number} was saved meanwhile` });
    }
  }

  async function load(number: number) {
    const version = await wf.adopt(number);
    show(version.document);
    setMessage({ kind: "info", text: `Showing version ${version.number}` });
  }

  async function restore(number: number) {
    const version = await editorApi.restore(workflowId, number);
    await load(version.number);
    setDialog(null);
    setMessage({ kind: "ok", text: `Restored version ${number} as version ${version.number}` });
  }

  async function startRun(input: unknown) {
    const started = await editorApi.startRun(workflowId, input);
    run.start(started.id, editor.graph.nodes.map((n) => n.id));
    setLastRunInput(input);
    setDialog(null);
    setTab("run");
  }

  function runInitial(): string {
    const trigger = editor.graph.nodes.find((n) => types.get(n.type)?.trigger);
    const sample = trigger?.config.sample ?? lastRunInput ?? (trigger && types.get(trigger.type)?.sample_input) ?? {};
    return JSON.stringify(sample, null, 2);
  }

  if (wf.error) return <p className="ed-field-error" role="alert">The workflow could not be loaded: {wf.error}</p>;
  if (!wf.loaded) return <p className="ed-muted">Loading the workflow…</p>;

  const stale = wf.newer && wf.newer.number > (wf.baseVersion ?? 0) ? wf.newer : null;
  const runStatus = run.live ? (
    <span data-testid="run-status" className={`ed-run-status ed-run-${run.live.status}`} role="status">
      Run {run.live.status}
      {run.socket === "closed" && !["succeeded", "failed", "review", "cancelled", "dead"].includes(run.live.status) && " (reconnecting…)"}
      {run.childrenRunning > 0 && ` · ${run.childrenRunning} of ${run.children.length} item runs still going`}
      {" · "}
      <a href={`/runs/${run.live.runId}`}>open run</a>
    </span>
  ) : null;

  return (
    <div className="ed-root">
      <Toolbar
        name={wf.loaded.workflow.name}
        version={wf.baseVersion}
        dirty={dirty}
        canUndo={editor.canUndo}
        canRedo={editor.canRedo}
        hasSelection={editor.selection.nodes.length + editor.selection.edges.length > 0}
        onSave={() => setDialog("save")}
        onRun={() => setDialog("run")}
        onUndo={editor.undo}
        onRedo={editor.redo}
        onFit={() => flow.fitView({ padding: 0.15, duration: 200 })}
        onHistory={() => setDialog("history")}
        onDelete={editor.deleteSelection}
        status={
          <>
            {message && (
              <span className={`ed-message ed-message-${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>
                {message.text}
              </span>
            )}
            {runStatus}
          </>
        }
      />
      {stale && (
        <StaleWarning
          latest={stale}
          dirty={dirty}
          onReload={() => {
            if (!dirty || window.confirm("Discard your unsaved changes and load their version?")) void load(stale.number);
          }}
          onCompare={() => setDialog("history")}
          onOverwrite={() => {
            wf.setNewer(null);
            wf.setBase(stale.number);
            setDialog("save");
          }}
        />
      )}
      <div className="ed-body">
        <Palette nodeTypes={wf.loaded.nodeTypes} onAdd={addAtCentre} />
        <Canvas
          editor={editor}
          types={types}
          live={run.live}
          issuesByNode={placed.byNode}
          onNodeClick={() => {
            if (!run.live) return;
            setTab("run");
            void run.refreshDetail().catch(() => undefined);
          }}
        />
        <div className="ed-side">
          {selected && run.live && (
            <div className="ed-tabs" role="tablist" aria-label="Selected node">
              <button type="button" role="tab" aria-selected={tab === "config"} onClick={() => setTab("config")}>
                Configure
              </button>
              <button type="button" role="tab" aria-selected={tab === "run"} onClick={() => setTab("run")}>
                In this run
              </button>
            </div>
          )}
          {selected && run.live && tab === "run" ? (
            <NodeRunPanel
              nodeId={selected.id}
              live={run.live.nodes[selected.id]}
              detail={nodeRun}
              loading={!run.detail}
              note={childNodeRun ? `Ran once per item, in ${run.children.length} item runs; this is the first item's.` : undefined}
            />
          ) : selected ? (
            <ConfigPanel
              key={selected.id}
              node={selected}
              nodeType={types.get(selected.type)}
              nodeIds={editor.graph.nodes.map((n) => n.id)}
              connections={wf.loaded.connections}
              issues={placed.byNode[selected.id] ?? []}
              fieldErrors={placed.byField[selected.id] ?? {}}
              lastInput={nodeRun?.input}
              onConfig={(config) => editor.change((g) => updateNode(g, selected.id, { config }), `config:${selected.id}`)}
              onName={(name) => editor.change((g) => updateNode(g, selected.id, { name }), `name:${selected.id}`)}
              onRename={(id) => {
                editor.change((g) => renameNode(g, selected.id, id));
                editor.setSelection({ nodes: [id], edges: [] });
              }}
            />
          ) : (
            <section className="ed-panel ed-help" aria-label="Help">
              <h2>{editor.selection.nodes.length > 1 ? `${editor.selection.nodes.length} nodes selected` : "No node selected"}</h2>
              <p>Drag a node type from the palette onto the canvas (or focus it and press Enter), then connect an output port to an input port.</p>
              <p>Shift+click or Shift+drag selects several; Delete removes them; Ctrl+C / Ctrl+V copies; Ctrl+Z / Ctrl+Shift+Z undoes and redoes; Ctrl+S saves.</p>
              {placed.general.length > 0 && (
                <ul className="ed-issues" role="alert">
                  {placed.general.map((i, n) => <li key={n}>{i.message}</li>)}
                </ul>
              )}
            </section>
          )}
        </div>
      </div>
      {dialog === "save" && <SaveDialog baseVersion={wf.baseVersion} onSave={save} onClose={() => setDialog(null)} />}
      {dialog === "run" && (
        <RunDialog initial={runInitial()} savedVersion={wf.baseVersion} dirty={dirty} onStart={startRun} onClose={() => setDialog(null)} />
      )}
      {dialog === "history" && (
        <HistoryDialog workflowId={workflowId} current={wf.baseVersion} working={document} onRestore={restore} onClose={() => setDialog(null)} />
      )}
    </div>
  );
}
