import { useState } from "react";
import { Link } from "react-router-dom";
import { toQuery } from "../api/query";
import { runs } from "../api/resources";
import type { Run } from "../api/types";
import { formatDateTime } from "../components/format";
import { LoadError, Notice } from "../components/Notice";
import { useLoad } from "../components/useLoad";

/** Why a person has to look at the run (the reason the node gave). */
export function reviewReason(run: Pick<Run, "error">): string {
  const error = run.error ?? {};
  const reason = (error.reason as string | undefined) ?? error.message;
  return reason ? `${error.node_id ? `${error.node_id}: ` : ""}${reason}` : "flagged for review";
}

export default function ReviewPage() {
  const list = useLoad(() => runs.list(toQuery({ status: "review", limit: 100 })), []);
  const [message, setMessage] = useState<{ kind: "error" | "success"; text: string }>();

  async function retry(run: Run) {
    try {
      const started = await runs.retry(run.id);
      setMessage({ kind: "success", text: `Retry started: run ${started.id.slice(0, 8)}` });
      list.reload();
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
  }

  const rows = list.data?.results ?? [];
  return (
    <section className="page">
      <header className="page-header">
        <h1>Review queue</h1>
      </header>
      <p className="muted">
        Runs flagged for a person, e.g. an unknown SKU. Fix the mapping on <Link to="/mappings">Mappings</Link>, then
        retry.
      </p>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <LoadError error={list.error} />
      <table className="table" aria-label="Runs in review">
        <thead>
          <tr>
            <th>Reason</th>
            <th>Workflow</th>
            <th>Flagged</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((run) => (
            <tr key={run.id}>
              <td>{reviewReason(run)}</td>
              <td>{run.workflow.name}</td>
              <td>
                <Link to={`/runs/${run.id}`}>{formatDateTime(run.finished_at ?? run.created_at)}</Link>
              </td>
              <td className="row-actions">
                <button type="button" onClick={() => retry(run)}>
                  Retry<span className="sr-only"> run {run.id.slice(0, 8)}</span>
                </button>
              </td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                Nothing waits for review.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
