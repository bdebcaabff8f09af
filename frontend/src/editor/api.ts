// The endpoints the editor talks to (shapes as designer/, engine/ and connectors/ serialize them).

import { api, listOf } from "../api/client";
import type { NodeRun, VersionSummary } from "../api/types";
import type { NodeTypeInfo, WorkflowDocument } from "../graph/types";
import type { RunEvent } from "../live/reducer";

export type { NodeRun, VersionSummary };

export interface Version extends VersionSummary {
  document: WorkflowDocument;
}

export interface WorkflowInfo {
  id: string;
  name: string;
  latest_version: VersionSummary | null;
  last_run: { id: string; status: string } | null;
}

export interface ConnectionInfo {
  id: string;
  kind: string;
  name: string;
  status: string;
}

export interface Choice {
  value: unknown;
  label?: string;
}

export interface RunInfo {
  id: string;
  status: string;
  version: number;
  input: unknown;
  error: unknown;
  node_runs?: NodeRun[];
  children?: { id: string; status: string }[];
}

type Listed<T> = T[] | { results: T[] };

export const editorApi = {
  nodeTypes: () => api<NodeTypeInfo[]>("/api/node-types/"),
  workflow: (id: string) => api<WorkflowInfo>(`/api/workflows/${id}/`),
  versions: (id: string) => api<VersionSummary[]>(`/api/workflows/${id}/versions/`),
  version: (id: string, number: number) => api<Version>(`/api/workflows/${id}/versions/${number}/`),
  saveVersion: (id: string, body: { document: WorkflowDocument; message: string; base_version: number | null }) =>
    api<Version>(`/api/workflows/${id}/versions/`, { body }),
  restore: (id: string, number: number) =>
    api<Version>(`/api/workflows/${id}/versions/${number}/restore/`, { method: "POST" }),
  connections: async () => listOf(await api<Listed<ConnectionInfo>>("/api/connections/?limit=500")),
  options: (type: string, field: string, connection: string) =>
    api<Choice[]>(
      `/api/node-types/${encodeURIComponent(type)}/options/${encodeURIComponent(field)}/` +
        (connection ? `?connection=${encodeURIComponent(connection)}` : ""),
    ),
  startRun: (id: string, input: unknown) => api<RunInfo>(`/api/workflows/${id}/runs/`, { body: { input } }),
  run: (id: string) => api<RunInfo>(`/api/runs/${id}/`),
  events: (id: string, after: number) => api<RunEvent[]>(`/api/runs/${id}/events/?after=${after}`),
};
