import { useState } from "react";
import { Link } from "react-router-dom";
import { deadLetters, workflows, type DeadLetterFilter } from "../api/resources";
import type { DeadLetter } from "../api/types";
import { Dialog } from "../components/Dialog";
import { formatDateTime } from "../components/format";
import { parseJson, prettyJson } from "../components/json";
import { JsonEditor } from "../components/JsonEditor";
import { LoadError, Notice } from "../components/Notice";
import { Pagination } from "../components/Pagination";
import { useLoad } from "../components/useLoad";

const PAGE_SIZE = 25;
type Message = { kind: "error" | "success"; text: string };

export default function DeadLettersPage() {
  const [filter, setFilter] = useState<DeadLetterFilter>({});
  const [page, setPage] = useState(1);
  const list = useLoad(
    () => deadLetters.list(filter, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    [JSON.stringify(filter), page],
  );
  const flows = useLoad(() => workflows.list(), []);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<Message>();
  const [inspecting, setInspecting] = useState<DeadLetter>();
  const rows = list.data?.results ?? [];

  function refresh(text: string) {
    setMessage({ kind: "success", text });
    setSelected(new Set());
    setInspecting(undefined);
    list.reload();
  }

  async function bulk(body: Parameters<typeof deadLetters.replayMany>[0]) {
    try {
      const report = await deadLetters.replayMany(body);
      refresh(`Replayed ${report.replayed}${report.skipped ? `, skipped ${report.skipped} already handled` : ""}`);
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
  }

  const hasFilter = Boolean(filter.workflow || filter.node || filter.code);
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <section className="page">
      <header className="page-header">
        <h1>Dead letters</h1>
        <div className="actions">
          <button type="button" disabled={selected.size === 0} onClick={() => bulk({ ids: [...selected] })}>
            Replay selected ({selected.size})
          </button>
          <button type="button" disabled={!hasFilter} onClick={() => bulk(filter)}>
            Replay all matching
          </button>
        </div>
      </header>
      <p className="muted">
        Runs that failed for good. Inspect the input that failed, fix it and replay: replays go through the effect
        ledger, so nothing is posted twice.
      </p>
      <form className="filters" aria-label="Filter dead letters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Workflow
          <select
            value={filter.workflow ?? ""}
            onChange={(event) => {
              setFilter({ ...filter, workflow: event.target.value || undefined });
              setPage(1);
            }}
          >
            <option value="">All workflows</option>
            {(flows.data?.results ?? []).map((flow) => (
              <option key={flow.id} value={flow.id}>
                {flow.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Node
          <input
            value={filter.node ?? ""}
            onChange={(event) => {
              setFilter({ ...filter, node: event.target.value || undefined });
              setPage(1);
            }}
          />
        </label>
        <label>
          Error code
          <input
            value={filter.code ?? ""}
            onChange={(event) => {
              setFilter({ ...filter, code: event.target.value || undefined });
              setPage(1);
            }}
          />
        </label>
      </form>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <LoadError error={list.error} />
      <table className="table" aria-label="Dead letters">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="Select all on this page"
                checked={rows.length > 0 && rows.every((row) => selected.has(row.id))}
                onChange={(event) => setSelected(event.target.checked ? new Set(rows.map((r) => r.id)) : new Set())}
              />
            </th>
            <th>Reason</th>
            <th>Node</th>
            <th>Workflow</th>
            <th>Failed</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((letter) => (
            <tr key={letter.id} data-testid={`dead-letter-${letter.id}`}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select run ${letter.id.slice(0, 8)}`}
                  checked={selected.has(letter.id)}
                  onChange={() => toggle(letter.id)}
                />
              </td>
              <td>{letter.reason}</td>
              <td className="mono">{letter.node_id}</td>
              <td>{letter.workflow.name}</td>
              <td>
                <Link to={`/runs/${letter.id}`}>{formatDateTime(letter.finished_at ?? letter.created_at)}</Link>
              </td>
              <td className="row-actions">
                <button type="button" onClick={() => setInspecting(letter)}>
                  Inspect<span className="sr-only"> run {letter.id.slice(0, 8)}</span>
                </button>
              </td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                The dead-letter queue is empty.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {list.data && <Pagination page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} />}
      {inspecting && (
        <Inspect
          letter={inspecting}
          onClose={() => setInspecting(undefined)}
          onDone={refresh}
          onError={(text) => setMessage({ kind: "error", text })}
        />
      )}
    </section>
  );
}

interface InspectProps {
  letter: DeadLetter;
  onClose: () => void;
  onDone: (text: string) => void;
  onError: (text: string) => void;
}

function Inspect({ letter, onClose, onDone, onError }: InspectProps) {
  const original = prettyJson(letter.failed_input);
  const [text, setText] = useState(original);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string>();
  const parsed = parseJson(text);

  async function run(action: () => Promise<unknown>, done: string) {
    setError(undefined);
    try {
      await action();
      onDone(done);
    } catch (reason) {
      setError((reason as Error).message);
      onError((reason as Error).message);
    }
  }

  return (
    <Dialog open title={`Dead letter ${letter.id.slice(0, 8)}`} onClose={onClose} wide>
      <p>
        <strong>{letter.workflow.name}</strong>, node <span className="mono">{letter.node_id}</span>: {letter.reason}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <JsonEditor label="Failing input" value={text} onChange={setText} />
      <div className="dialog-footer">
        <button
          type="button"
          className="primary"
          disabled={!parsed.ok}
          onClick={() =>
            run(
              () => deadLetters.replay(letter.id, text === original ? undefined : parsed.ok ? parsed.value : undefined),
              "Replay started",
            )
          }
        >
          {text === original ? "Replay" : "Replay with edited input"}
        </button>
      </div>
      <div className="field">
        <label htmlFor="discard-note">Note (why it is discarded)</label>
        <input id="discard-note" value={note} onChange={(event) => setNote(event.target.value)} />
      </div>
      <div className="dialog-footer">
        <button
          type="button"
          className="danger"
          disabled={!note.trim()}
          onClick={() => run(() => deadLetters.discard(letter.id, note.trim()), "Discarded")}
        >
          Discard
        </button>
      </div>
    </Dialog>
  );
}
