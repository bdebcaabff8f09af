import type { ReactNode } from "react";

interface ToolbarProps {
  name: string;
  version: number | null;
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
  hasSelection: boolean;
  onSave: () => void;
  onRun: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onFit: () => void;
  onHistory: () => void;
  onDelete: () => void;
  status: ReactNode;
}

const MOD = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl+";

/** The editor's main actions; each has a keyboard shortcut too (shown in its tooltip). */
export function Toolbar(props: ToolbarProps) {
  return (
    <div className="ed-toolbar" role="toolbar" aria-label="Editor">
      <div className="ed-title">
        <h1>{props.name}</h1>
        <span className="ed-muted">
          {props.version ? `version ${props.version}` : "not saved yet"}
          {props.dirty && <span className="ed-dirty"> · unsaved changes</span>}
        </span>
      </div>
      <div className="ed-actions">
        <button type="button" onClick={props.onUndo} disabled={!props.canUndo} title={`Undo (${MOD}Z)`}>
          Undo
        </button>
        <button type="button" onClick={props.onRedo} disabled={!props.canRedo} title={`Redo (${MOD}Shift+Z)`}>
          Redo
        </button>
        <button type="button" onClick={props.onDelete} disabled={!props.hasSelection} title="Delete selection (Delete)">
          Delete selection
        </button>
        <button type="button" onClick={props.onFit} title="Fit the whole flow in view">
          Fit view
        </button>
        <span className="ed-sep" aria-hidden="true" />
        <button type="button" onClick={props.onHistory}>
          History
        </button>
        <button type="button" onClick={props.onRun} title="Run the saved version now">
          Run
        </button>
        <button type="button" className="ed-primary" onClick={props.onSave} title={`Save a new version (${MOD}S)`}>
          Save
        </button>
      </div>
      <div className="ed-status">{props.status}</div>
    </div>
  );
}
