// Shapes of the REST API's payloads, as the serializers in designer/, engine/ and monitoring/ write them.

export type RunStatus = "pending" | "running" | "waiting" | "succeeded" | "failed" | "review" | "cancelled" | "dead";

export const RUN_STATUSES: RunStatus[] = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "review",
  "cancelled",
  "dead",
];

/** ``{results, count}`` of a limit/offset page. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface VersionSummary {
  number: number;
  message: string;
  created_at: string;
  created_by: string | null;
}

export interface Workflow {
  id: string;
  name: string;
  description: string;
  active: boolean;
  created_at: string;
  updated_at: string;
  latest_version: VersionSummary | null;
  last_run: { id: string; status: RunStatus; created_at: string } | null;
  webhooks: { node_id: string; url: string }[];
}

export interface TemplateInfo {
  summary?: string;
  needs?: string[];
  creates?: string[];
  configure?: string[];
  [key: string]: unknown;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  template_info: TemplateInfo | null;
  template_key: string;
}

export interface RunError {
  node_id?: string;
  message?: string;
  code?: string;
  kind?: string;
  type?: string;
  [key: string]: unknown;
}

export interface Run {
  id: string;
  workflow: { id: string; name: string };
  version: number;
  status: RunStatus;
  trigger_node_id: string;
  event_key: string;
  triggered_by: string;
  parent: string | null;
  replay_from_node: string;
  input: unknown;
  error: RunError | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  wake_at: string | null;
}

export interface NodeRun {
  node_id: string;
  node_type: string;
  status: string;
  attempts: number;
  waits: number;
  input: unknown;
  output: unknown;
  error: RunError | null;
  logs: unknown;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
  duration_ms: number | null;
}

export interface RunDetail extends Run {
  node_runs: NodeRun[];
  children: { id: string; status: RunStatus }[];
}

export interface RunEvent {
  id: number;
  seq: number;
  run_id: string;
  workflow_id: string;
  type: string;
  node_id: string | null;
  at: string;
  payload: Record<string, unknown>;
}

export interface DeadLetter {
  id: string;
  workflow: { id: string; name: string };
  status: RunStatus;
  node_id: string;
  reason: string;
  error: RunError | null;
  failed_input: unknown;
  input: unknown;
  created_at: string;
  finished_at: string | null;
}

export interface Connection {
  id: string;
  kind: string;
  name: string;
  base_url: string;
  settings: Record<string, unknown>;
  status: string;
  status_detail: string;
  secrets_set: string[];
  breaker: { state: "closed" | "open" | "half_open"; retry_in_seconds: number };
  created_at: string;
  updated_at: string;
}

export interface ConnectionKind {
  kind: string;
  title: string;
  auth: string;
  default_base_url: string;
  sandbox_path: string;
  secret_fields: Record<string, { type?: string; title?: string; description?: string }>;
  settings_schema: Record<string, unknown> | null;
}

export interface MappingEntry {
  key: string;
  value: string;
}

export type MissingPolicy = "review" | "default" | "fail";

export interface MappingTable {
  id: number | string;
  name: string;
  kind: string;
  default_value: string;
  missing_policy: MissingPolicy;
  entries: MappingEntry[];
}

export interface CurrencyRate {
  id: number | string;
  date: string;
  from_currency: string;
  to_currency: string;
  /** A decimal string: never parsed to a float. */
  rate: string;
  source: string;
}

export interface RateImport {
  imported: number;
  errors: { line: number; message: string }[];
}

export interface ReconciliationDay {
  date: string;
  currency: string;
  orders: number;
  walmart_total: string;
  xero_total: string;
  difference: string;
}

export interface ReconciliationDifference {
  purchase_order_id: string;
  date: string;
  currency: string;
  walmart_total: string;
  xero_total: string;
  difference: string;
  reason: string;
  run: string | null;
}

export interface Reconciliation {
  start: string;
  end: string;
  days: ReconciliationDay[];
  differences: ReconciliationDifference[];
}

export interface Alert {
  id: number;
  rule: string;
  kind: string;
  key: string;
  status: string;
  message: string;
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
}

export interface AlertRule {
  id: number;
  name: string;
  kind: string;
  workflow: string | null;
  params: Record<string, unknown>;
  emails: string[];
  webhook_url: string;
  active: boolean;
  created_at: string;
}
