import { useEffect, useMemo, useState } from "react";
import { fieldsFor } from "../forms/schema";
import { isValidNodeId, type GNode } from "../graph/model";
import type { NodeTypeInfo, ServerIssue } from "../graph/types";
import type { ConnectionInfo } from "./api";
import { parseJson, prettyJson } from "../components/json";
import { SchemaForm } from "./SchemaForm";

interface ConfigPanelProps {
  node: GNode;
  nodeType: NodeTypeInfo | undefined;
  nodeIds: string[];
  connections: ConnectionInfo[];
  issues: ServerIssue[];
  fieldErrors: Record<string, string[]>;
  /** The node's input in the last run, if it ran. */
  lastInput: unknown;
  onConfig: (config: Record<string, unknown>) => void;
  onName: (name: string) => void;
  onRename: (id: string) => void;
}

/** The selected node: name, id, and the form generated from its type's config schema. */
export function ConfigPanel(props: ConfigPanelProps) {
  const { node, nodeType } = props;
  const fields = useMemo(
    () => (nodeType ? fieldsFor(nodeType.config_schema, { optionSources: nodeType.option_sources ?? [] }) : []),
    [nodeType],
  );
  const hasExpressions = fields.some(function walk(f): boolean {
    return f.widget === "expression" || (f.children ?? []).some(walk);
  });
  const [idText, setIdText] = useState(node.id);
  useEffect(() => setIdText(node.id), [node.id]);
  const idProblem =
    idText === node.id
      ? ""
      : !isValidNodeId(idText)
        ? "Letters, digits, _ and - only (up to 64)"
        : props.nodeIds.includes(idText)
          ? "Another node has this id"
          : "";
  const defaultSample = props.lastInput !== undefined && props.lastInput !== null ? props.lastInput : (nodeType?.sample_input ?? {});
  const [sampleText, setSampleText] = useState(prettyJson(defaultSample));
  useEffect(() => setSampleText(JSON.stringify(defaultSample ?? {}, null, 2)), [node.id, props.lastInput]); // eslint-disable-line react-hooks/exhaustive-deps
  const sample = useMemo(() => {
    const parsed = parseJson(sampleText);
    return parsed.ok ? parsed.value : undefined;
  }, [sampleText]);
  const nodeLevel = props.issues.filter((i) => !i.field || !i.field.startsWith("config"));

  return (
    <section className="ed-panel" data-testid="config-panel" aria-label="Node configuration">
      <header className="ed-panel-head">
        <h2>{nodeType?.title ?? node.type}</h2>
        <p className="ed-muted">{nodeType?.description || node.type}</p>
      </header>
      {!nodeType && <p className="ed-field-error">This server has no node type {node.type}: the node cannot run.</p>}
      {nodeLevel.length > 0 && (
        <ul className="ed-issues" role="alert">
          {nodeLevel.map((issue, i) => (
            <li key={i}>{issue.message}</li>
          ))}
        </ul>
      )}
      <div className="ed-field">
        <label htmlFor="ed-node-name">Name</label>
        <input id="ed-node-name" name="node.name" value={node.name} onChange={(e) => props.onName(e.target.value)} />
      </div>
      <div className="ed-field">
        <label htmlFor="ed-node-id">Node id</label>
        <input
          id="ed-node-id"
          name="node.id"
          value={idText}
          aria-invalid={!!idProblem}
          onChange={(e) => setIdText(e.target.value)}
          onBlur={() => (idProblem ? setIdText(node.id) : props.onRename(idText))}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !idProblem) props.onRename(idText);
          }}
        />
        <p className={idProblem ? "ed-field-error" : "ed-hint"}>{idProblem || "Used in expressions and the API; edges follow a rename."}</p>
      </div>
      {fields.length === 0 && nodeType && <p className="ed-muted">This node has no settings.</p>}
      <SchemaForm
        fields={fields}
        config={node.config}
        onChange={props.onConfig}
        env={{
          nodeType: node.type,
          connectionKind: nodeType?.connection_kind ?? null,
          connections: props.connections,
          errors: props.fieldErrors,
          sample,
        }}
      />
      {hasExpressions && (
        <details className="ed-sample" open>
          <summary>Sample data for the previews</summary>
          <label htmlFor="ed-sample-data">Sample data (JSON)</label>
          <textarea
            id="ed-sample-data"
            className="ed-code"
            rows={5}
            spellCheck={false}
            value={sampleText}
            onChange={(e) => setSampleText(e.target.value)}
          />
          <p className={sample === undefined ? "ed-field-error" : "ed-hint"}>
            {sample === undefined
              ? parseJson(sampleText).ok || "Invalid JSON"
              : props.lastInput != null
                ? "Prefilled with this node's input in the last run."
                : "Type an item like the ones this node receives."}
          </p>
        </details>
      )}
    </section>
  );
}
