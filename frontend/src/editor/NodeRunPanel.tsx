import type { NodeLive } from "../live/reducer";
import { prettyJson } from "../components/json";
import type { NodeRun } from "./api";

interface NodeRunPanelProps {
  nodeId: string;
  live: NodeLive | undefined;
  detail: NodeRun | undefined;
  loading: boolean;
  note?: string;
}

function Block({ value, testId }: { value: unknown; testId?: string }) {
  const empty = value === null || value === undefined;
  return <pre className="ed-json" data-testid={testId}>{empty ? "(none)" : prettyJson(value)}</pre>;
}

/** What the selected node did in the run on the canvas: input, output, attempts, error. */
export function NodeRunPanel({ nodeId, live, detail, loading, note }: NodeRunPanelProps) {
  const status = (note ? live?.status : detail?.status) ?? live?.status ?? "pending";
  const error = detail?.error ?? live?.error;
  return (
    <section className="ed-panel" data-testid="node-run-panel" aria-label={`Run of node ${nodeId}`}>
      <header className="ed-panel-head">
        <h2>{nodeId} in this run</h2>
        <p>
          Status <strong>{status}</strong>
          {detail?.duration_ms != null && <span className="ed-muted"> · {detail.duration_ms} ms</span>}
        </p>
      </header>
      {note && <p className="ed-hint">{note}</p>}
      {loading && !detail && <p className="ed-muted">Loading the node's run…</p>}
      <h3>Input</h3>
      <Block value={detail?.input} />
      <h3>Output</h3>
      <Block value={detail?.output} testId="node-output" />
      <h3>Attempts</h3>
      <p>
        {detail?.attempts ?? live?.attempts ?? 0}
        {detail && detail.waits > 0 && <span className="ed-muted"> · waited {detail.waits} times for a rate limit</span>}
        {live?.retryInSeconds !== undefined && live.status === "retrying" && <span> · next try in {live.retryInSeconds} s</span>}
        {live?.items !== undefined && <span> · {live.items} items</span>}
      </p>
      <h3>Error</h3>
      {error ? <Block value={error} /> : <p className="ed-muted">None</p>}
    </section>
  );
}
