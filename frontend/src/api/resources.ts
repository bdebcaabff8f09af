// Typed wrappers of the endpoints the pages use (one line each; the shapes are in types.ts).

import { api } from "./client";
import { toQuery } from "./query";
import type {
  Alert,
  AlertRule,
  Connection,
  ConnectionKind,
  CurrencyRate,
  DeadLetter,
  MappingTable,
  Page,
  RateImport,
  Reconciliation,
  Run,
  RunDetail,
  Template,
  Workflow,
} from "./types";

export const workflows = {
  list: (search = "", limit = 200) => api<Page<Workflow>>(`/api/workflows/${toQuery({ search, limit })}`),
  create: (name: string) => api<Workflow>("/api/workflows/", { body: { name } }),
  setActive: (id: string, active: boolean) =>
    api<Workflow>(`/api/workflows/${id}/`, { method: "PATCH", body: { active } }),
  duplicate: (id: string) => api<Workflow>(`/api/workflows/${id}/duplicate/`, { method: "POST" }),
  remove: (id: string) => api<null>(`/api/workflows/${id}/`, { method: "DELETE" }),
  importFile: (data: unknown) => api<Workflow>("/api/workflows/import/", { body: data }),
  exportUrl: (id: string) => `/api/workflows/${id}/export/`,
};

export const runs = {
  list: (query: string) => api<Page<Run>>(`/api/runs/${query}`),
  get: (id: string) => api<RunDetail>(`/api/runs/${id}/`),
  retry: (id: string) => api<Run>(`/api/runs/${id}/retry/`, { method: "POST" }),
  replay: (id: string, fromNode: string) => api<Run>(`/api/runs/${id}/replay/`, { body: { from_node: fromNode } }),
  cancel: (id: string) => api<Run>(`/api/runs/${id}/cancel/`, { method: "POST" }),
};

export const templates = {
  list: () => api<Page<Template>>("/api/templates/?limit=200"),
  clone: (id: string, name?: string) => api<Workflow>(`/api/templates/${id}/clone/`, { body: name ? { name } : {} }),
};

export const connections = {
  list: () => api<Page<Connection>>("/api/connections/?limit=200"),
  kinds: () => api<ConnectionKind[] | Page<ConnectionKind>>("/api/connection-kinds/"),
  create: (body: Record<string, unknown>) => api<Connection>("/api/connections/", { body }),
  remove: (id: string) => api<null>(`/api/connections/${id}/`, { method: "DELETE" }),
  test: (id: string) =>
    api<{ ok: boolean; message: string; details?: unknown }>(`/api/connections/${id}/test/`, { method: "POST" }),
  authorize: (id: string) => api<{ url: string }>(`/api/connections/${id}/authorize/`, { method: "POST" }),
};

export interface DeadLetterFilter {
  workflow?: string;
  node?: string;
  code?: string;
}

export const deadLetters = {
  list: (filter: DeadLetterFilter, page: { limit: number; offset: number }) =>
    api<Page<DeadLetter>>(`/api/dead-letters/${toQuery({ ...filter, ...page, offset: page.offset || undefined })}`),
  replay: (id: string, input?: unknown) =>
    api<Run>(`/api/dead-letters/${id}/replay/`, { body: input === undefined ? {} : { input } }),
  discard: (id: string, note: string) => api<null>(`/api/dead-letters/${id}/discard/`, { body: { note } }),
  replayMany: (body: { ids?: string[] } & DeadLetterFilter) =>
    api<{ replayed: number; skipped: number }>("/api/dead-letters/replay/", { body }),
};

export const mappings = {
  list: () => api<MappingTable[] | Page<MappingTable>>("/api/mapping-tables/?limit=200"),
  create: (body: Omit<MappingTable, "id">) => api<MappingTable>("/api/mapping-tables/", { body }),
  update: (id: MappingTable["id"], body: Partial<MappingTable>) =>
    api<MappingTable>(`/api/mapping-tables/${id}/`, { method: "PATCH", body }),
  remove: (id: MappingTable["id"]) => api<null>(`/api/mapping-tables/${id}/`, { method: "DELETE" }),
};

export const rates = {
  list: () => api<CurrencyRate[] | Page<CurrencyRate>>("/api/currency-rates/?limit=500"),
  create: (body: Omit<CurrencyRate, "id">) => api<CurrencyRate>("/api/currency-rates/", { body }),
  importCsv: (file: File) => {
    const form = new FormData();
    form.append("file", file);
    return api<RateImport>("/api/currency-rates/import/", { body: form });
  },
};

export const reports = {
  reconciliation: (start: string, end: string) =>
    api<Reconciliation>(`/api/reports/reconciliation/${toQuery({ start, end })}`),
};

export const alerts = {
  list: () => api<Alert[] | Page<Alert>>("/api/alerts/?limit=100"),
  rules: () => api<AlertRule[] | Page<AlertRule>>("/api/alert-rules/?limit=100"),
};
