// The server's validation issues ({node, field, code, message}) placed on nodes and form fields.

import type { ServerIssue } from "../graph/types";

const REQUIRED = /^'([^']+)' is a required property$/;

/** The config field an issue is about, as an input name ("config.url"), or null. */
export function issueField(issue: ServerIssue): string | null {
  if (!issue.field) return null;
  const missing = REQUIRED.exec(issue.message);
  // jsonschema reports a missing property on its parent object: point at the property itself.
  if (missing && (issue.field === "config" || issue.field.startsWith("config."))) return `${issue.field}.${missing[1]}`;
  return issue.field;
}

export interface PlacedIssues {
  byNode: Record<string, ServerIssue[]>;
  /** node id → input name → messages */
  byField: Record<string, Record<string, string[]>>;
  /** Issues about the document as a whole (no node). */
  general: ServerIssue[];
}

export function placeIssues(issues: ServerIssue[]): PlacedIssues {
  const placed: PlacedIssues = { byNode: {}, byField: {}, general: [] };
  for (const issue of issues) {
    if (!issue.node) {
      placed.general.push(issue);
      continue;
    }
    (placed.byNode[issue.node] ??= []).push(issue);
    const field = issueField(issue);
    if (field) ((placed.byField[issue.node] ??= {})[field] ??= []).push(issue.message);
  }
  return placed;
}

/** The server's issue list from an error body ({detail, errors:[...]}), or []. */
export function issuesFromBody(body: unknown): ServerIssue[] {
  if (!body || typeof body !== "object") return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.filter((e): e is ServerIssue => !!e && typeof e === "object" && typeof e.message === "string");
}
