import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { runs } from "../api/resources";
import { followRun } from "../api/runEvents";
import type { NodeRun, RunError } from "../api/types";
import { formatDateTime, formatDuration } from "../components/format";
import { JsonBlock } from "../components/JsonBlock";
import { LoadError, Notice } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { useLoad } from "../components/useLoad";

const FINAL = new Set(["succeeded", "failed", "review", "cancelled", "dead"]);

export default function RunDetailPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const detail = useLoad(() => runs.get(id), [id]);
  const [message, setMessage] = useState<{ kind: "error" | "success"; text: string }>();
  const reload = useRef(detail.reload);
  reload.current = detail.reload;
  const run = detail.data;
  const live = run !== undefined && !FINAL.has(run.status);

  useEffect(() => {
    if (!live) return undefined;
    return followRun(id, () => reload.current());
  }, [id, live]);

  async function act(action: () => Promise<{ id: string }>, text: string, open = true) {
    try {
      const started = await action();
      setMessage({ kind: "success", text });
      if (open && started.id !== id) navigate(`/runs/${started.id}`);
      else detail.reload();
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
  }

  if (!run) {
    return (
      <section className="page">
        <LoadError error={detail.error} />
        {detail.loading && <p>Loading the run…</p>}
      </section>
    );
  }

  const failed = run.node_runs.find((node) => node.status === "failed");
  const failedNode = run.error?.node_id ?? failed?.node_id;
  return (
    <section className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/runs">Runs</Link> / <span className="mono">{run.id.slice(0, 8)}</span>
      </nav>
      <header className="page-header">
        <h1>
          {run.workflow.name} <span className="muted">v{run.version}</span>{" "}
          <span data-testid="run-detail-status">
            <StatusBadge status={run.status} />
          </span>
        </h1>
        <div className="actions">
          {live && (
            <button type="button" onClick={() => act(() => runs.cancel(run.id), "Run cancelled", false)}>
              Cancel run
            </button>
          )}
          {!live && run.status !== "succeeded" && (
            <button type="button" onClick={() => act(() => runs.retry(run.id), "Retry started")}>
              Retry run
            </button>
          )}
          {!live && failedNode && (
            <button
              type="button"
              onClick={() => act(() => runs.replay(run.id, failedNode), `Replaying from ${failedNode}`)}
            >
              Replay from failed node
            </button>
          )}
          <Link className="button" to={`/workflows/${run.workflow.id}`}>
            Open workflow
          </Link>
        </div>
      </header>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <dl className="facts">
        <dt>Triggered by</dt>
        <dd>{run.triggered_by || "—"}</dd>
        <dt>Trigger node</dt>
        <dd>{run.trigger_node_id || "—"}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(run.created_at)}</dd>
        <dt>Finished</dt>
        <dd>{formatDateTime(run.finished_at)}</dd>
        {run.event_key && (
          <>
            <dt>Event</dt>
            <dd className="mono">{run.event_key}</dd>
          </>
        )}
        {run.parent && (
          <>
            <dt>Parent run</dt>
            <dd>
              <Link to={`/runs/${run.parent}`}>{run.parent.slice(0, 8)}</Link>
            </dd>
          </>
        )}
        {live && (
          <>
            <dt>Updates</dt>
            <dd>live</dd>
          </>
        )}
      </dl>
      {run.error && <ErrorBox error={run.error} />}
      <JsonBlock label="Run input" value={run.input} />
      <h2>Timeline</h2>
      <ol className="timeline" aria-label="Node runs">
        {run.node_runs.map((node) => (
          <NodeRunItem key={node.node_id} node={node} />
        ))}
        {run.node_runs.length === 0 && <li className="muted">No node has started yet.</li>}
      </ol>
      {run.children.length > 0 && (
        <>
          <h2>Child runs</h2>
          <ul>
            {run.children.map((child) => (
              <li key={child.id}>
                <Link to={`/runs/${child.id}`}>{child.id.slice(0, 8)}</Link> <StatusBadge status={child.status} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function NodeRunItem({ node }: { node: NodeRun }) {
  return (
    <li className="timeline-item" data-testid={`timeline-${node.node_id}`}>
      <div className="timeline-head">
        <strong>{node.node_id}</strong> <span className="muted small">{node.node_type}</span>{" "}
        <StatusBadge status={node.status} />
        <span className="muted small">
          {formatDateTime(node.started_at)} → {formatDateTime(node.finished_at)} · {formatDuration(node.duration_ms)} ·{" "}
          {node.attempts} attempt{node.attempts === 1 ? "" : "s"}
          {node.waits ? ` · ${node.waits} waits` : ""}
        </span>
      </div>
      {node.error && <ErrorBox error={node.error} />}
      <JsonBlock label="Input" value={node.input} />
      <JsonBlock label="Output" value={node.output} testId={`output-${node.node_id}`} />
    </li>
  );
}

function ErrorBox({ error }: { error: RunError }) {
  const type = error.type ?? error.kind ?? error.code;
  return (
    <div className="error-box" role="note">
      {type && <strong>{String(type)}: </strong>}
      {error.message ?? JSON.stringify(error)}
    </div>
  );
}
