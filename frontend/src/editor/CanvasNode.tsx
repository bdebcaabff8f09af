import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import { memo } from "react";
import type { NodeTypeInfo, PortInfo } from "../graph/types";
import type { NodeLive, NodeStatus } from "../live/reducer";

export interface CanvasNodeData extends Record<string, unknown> {
  name: string;
  nodeType: NodeTypeInfo | undefined;
  typeId: string;
  status: NodeStatus;
  live: NodeLive | undefined;
  issues: string[];
}

export type CanvasNodeType = Node<CanvasNodeData, "ledgerline">;

const STATUS_TEXT: Record<NodeStatus, string> = {
  idle: "",
  pending: "waiting",
  running: "running",
  retrying: "retrying",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
};

function portTop(index: number, count: number): string {
  return `${((index + 1) / (count + 1)) * 100}%`;
}

function Ports({ ports, type }: { ports: PortInfo[]; type: "source" | "target" }) {
  const labelled = ports.length > 1;
  return (
    <>
      {ports.map((port, index) => (
        <Handle
          key={port.name}
          id={port.name}
          type={type}
          position={type === "source" ? Position.Right : Position.Left}
          style={{ top: portTop(index, ports.length) }}
          title={port.title}
          aria-label={`${type === "source" ? "Output" : "Input"} ${port.title}`}
        >
          {labelled && <span className={`ed-port-label ed-port-${type}`}>{port.title}</span>}
        </Handle>
      ))}
    </>
  );
}

/** One node on the canvas: title, type, live status and counts, ports from the node type. */
function CanvasNodeView({ id, data, selected }: NodeProps<CanvasNodeType>) {
  const { nodeType, live, status, issues } = data;
  const inputs = nodeType?.inputs ?? [{ name: "in", title: "in", required: true }];
  const outputs = nodeType?.outputs ?? [{ name: "out", title: "out", required: true }];
  const ports = Math.max(inputs.length, outputs.length);
  const classes = ["ed-node", `ed-status-${status}`];
  if (selected) classes.push("ed-selected");
  if (issues.length) classes.push("ed-invalid");
  if (nodeType?.trigger) classes.push("ed-trigger");
  return (
    <div
      className={classes.join(" ")}
      data-testid={`node-${id}`}
      data-status={status}
      style={{ minHeight: Math.max(56, ports * 22 + 12) }}
      title={issues.length ? issues.join("\n") : undefined}
    >
      <Ports ports={inputs} type="target" />
      <div className="ed-node-head">
        <span className="ed-node-cat">{nodeType?.category ?? "Unknown type"}</span>
        {STATUS_TEXT[status] && <span className="ed-node-state">{STATUS_TEXT[status]}</span>}
      </div>
      <div className="ed-node-name">{data.name || id}</div>
      <div className="ed-node-type">{nodeType?.title ?? data.typeId}</div>
      {live && (live.attempts > 1 || live.items !== undefined) && (
        <div className="ed-node-counts">
          {live.attempts > 1 && <span>{live.attempts} attempts</span>}
          {live.items !== undefined && <span>{live.items} items</span>}
        </div>
      )}
      {issues.length > 0 && (
        <span className="ed-node-error" data-testid={`node-error-${id}`} role="img" aria-label={issues.join("; ")}>
          {issues.length}
        </span>
      )}
      <Ports ports={outputs} type="source" />
    </div>
  );
}

export const CanvasNode = memo(CanvasNodeView);
