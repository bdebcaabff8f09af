import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { workflows } from "../api/resources";
import type { Workflow } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Dialog } from "../components/Dialog";
import { formatDateTime } from "../components/format";
import { parseJson } from "../components/json";
import { LoadError, Notice } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { useLoad } from "../components/useLoad";

export default function WorkflowsPage() {
  const navigate = useNavigate();
  const [search, setSearch] = useState("");
  const list = useLoad(() => workflows.list(search), [search]);
  const [message, setMessage] = useState<{ kind: "error" | "success"; text: string }>();
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [deleting, setDeleting] = useState<Workflow>();
  const fileInput = useRef<HTMLInputElement>(null);

  async function act(action: () => Promise<unknown>, success: string) {
    try {
      await action();
      setMessage({ kind: "success", text: success });
      list.reload();
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    try {
      const created = await workflows.create(name.trim());
      navigate(`/workflows/${created.id}`);
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
      setCreating(false);
    }
  }

  async function importFile(file: File) {
    const parsed = parseJson(await file.text());
    if (!parsed.ok) {
      setMessage({ kind: "error", text: `${file.name}: ${parsed.message}` });
      return;
    }
    await act(() => workflows.importFile(parsed.value), `Imported ${file.name}`);
  }

  const rows = list.data?.results ?? [];
  return (
    <section className="page">
      <header className="page-header">
        <h1>Workflows</h1>
        <div className="actions">
          <input
            type="search"
            aria-label="Search workflows"
            placeholder="Search workflows"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <button type="button" onClick={() => fileInput.current?.click()}>
            Import JSON
          </button>
          <input
            ref={fileInput}
            type="file"
            accept="application/json,.json"
            hidden
            aria-label="Workflow file to import"
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (file) void importFile(file);
            }}
          />
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New workflow
          </button>
        </div>
      </header>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <LoadError error={list.error} />
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Version</th>
            <th>Last run</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((workflow) => (
            <tr key={workflow.id} data-testid={`workflow-${workflow.id}`}>
              <td>
                <Link to={`/workflows/${workflow.id}`}>{workflow.name}</Link>
                {workflow.description && <div className="muted small">{workflow.description}</div>}
              </td>
              <td>
                <label className="toggle">
                  <input
                    type="checkbox"
                    checked={workflow.active}
                    aria-label={`Active: ${workflow.name}`}
                    onChange={() =>
                      act(
                        () => workflows.setActive(workflow.id, !workflow.active),
                        `${workflow.name} is ${workflow.active ? "paused" : "active"}`,
                      )
                    }
                  />
                  <StatusBadge status={workflow.active ? "active" : "paused"} />
                </label>
              </td>
              <td>{workflow.latest_version ? `v${workflow.latest_version.number}` : "—"}</td>
              <td>
                {workflow.last_run ? (
                  <Link to={`/runs/${workflow.last_run.id}`}>
                    <StatusBadge status={workflow.last_run.status} /> {formatDateTime(workflow.last_run.created_at)}
                  </Link>
                ) : (
                  <span className="muted">never run</span>
                )}
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  onClick={() => act(() => workflows.duplicate(workflow.id), `Duplicated ${workflow.name}`)}
                >
                  Duplicate
                </button>
                <a className="button" href={workflows.exportUrl(workflow.id)} download>
                  Export
                </a>
                <button type="button" className="danger" onClick={() => setDeleting(workflow)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {!list.loading && rows.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                {search ? "No workflow matches the search." : "No workflows yet: create one or use a template."}
              </td>
            </tr>
          )}
        </tbody>
      </table>

      <Dialog open={creating} title="New workflow" onClose={() => setCreating(false)}>
        <form onSubmit={create}>
          <div className="field">
            <label htmlFor="new-workflow-name">Name</label>
            <input
              id="new-workflow-name"
              required
              maxLength={200}
              autoFocus
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <div className="dialog-footer">
            <button type="button" onClick={() => setCreating(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!name.trim()}>
              Create and open
            </button>
          </div>
        </form>
      </Dialog>

      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete workflow"
        confirmLabel="Delete workflow"
        danger
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await workflows.remove(deleting.id);
          setMessage({ kind: "success", text: `Deleted ${deleting.name}` });
          list.reload();
        }}
      >
        <p>
          Delete <strong>{deleting?.name}</strong> with all its versions? Its runs stay in the history. This cannot be
          undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
