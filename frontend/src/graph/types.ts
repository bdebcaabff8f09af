// Shapes of the node-type catalogue (GET /api/node-types/) and of a workflow document (schema 1).

export type JsonSchema = Record<string, unknown>;

export interface PortInfo {
  name: string;
  title: string;
  required: boolean;
}

export interface NodeTypeInfo {
  type: string;
  version: number;
  title: string;
  category: string;
  icon: string;
  description: string;
  config_schema: JsonSchema;
  inputs: PortInfo[];
  outputs: PortInfo[];
  connection_kind: string | null;
  side_effects?: boolean;
  trigger: string | null;
  option_sources: string[];
  sample_input: unknown;
  [key: string]: unknown;
}

export interface DocNode {
  id: string;
  type: string;
  version?: number;
  name?: string;
  position?: [number, number];
  config?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DocEdge {
  id: string;
  source: string;
  source_port?: string;
  target: string;
  target_port?: string;
  [key: string]: unknown;
}

export interface WorkflowDocument {
  schema: 1;
  nodes: DocNode[];
  edges: DocEdge[];
  [key: string]: unknown;
}

/** One validation problem as the designer API reports it. */
export interface ServerIssue {
  node: string | null;
  field: string | null;
  code: string;
  message: string;
}
