import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import { listOf } from "../api/client";
import { connections } from "../api/resources";
import type { Connection, ConnectionKind } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Dialog } from "../components/Dialog";
import { LoadError, Notice } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { useLoad } from "../components/useLoad";

type Message = { kind: "error" | "success"; text: string };

/** The message of the OAuth callback's return (``?authorized=1`` or ``?error=…``). */
function callbackMessage(search: URLSearchParams): Message | undefined {
  if (search.get("authorized")) return { kind: "success", text: "Connected: the authorisation was granted." };
  if (search.get("error")) return { kind: "error", text: `The authorisation failed: ${search.get("error")}` };
  return undefined;
}

export default function ConnectionsPage() {
  const [search, setSearch] = useSearchParams();
  const list = useLoad(() => connections.list(), []);
  const kinds = useLoad(() => connections.kinds(), []);
  const [message, setMessage] = useState<Message | undefined>(() => callbackMessage(search));
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Connection>();
  const kindList = kinds.data ? listOf(kinds.data) : [];
  const kindOf = (kind: string) => kindList.find((k) => k.kind === kind);

  function dismiss() {
    setMessage(undefined);
    if (search.toString()) setSearch(new URLSearchParams());
  }

  async function test(connection: Connection) {
    try {
      const result = await connections.test(connection.id);
      setMessage({
        kind: result.ok ? "success" : "error",
        text: `${connection.name}: ${result.ok ? "the connection works" : "test failed"}${result.message ? ` — ${result.message}` : ""}`,
      });
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
    list.reload();
  }

  async function connect(connection: Connection) {
    try {
      const { url } = await connections.authorize(connection.id);
      window.location.assign(url);
    } catch (error) {
      setMessage({ kind: "error", text: (error as Error).message });
    }
  }

  return (
    <section className="page">
      <header className="page-header">
        <h1>Connections</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New connection
        </button>
      </header>
      {message && (
        <Notice kind={message.kind} onDismiss={dismiss}>
          {message.text}
        </Notice>
      )}
      <LoadError error={list.error} />
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Base URL</th>
            <th>Status</th>
            <th>Circuit breaker</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data ? listOf(list.data) : []).map((connection) => (
            <tr key={connection.id} data-testid={`connection-${connection.id}`}>
              <td>{connection.name}</td>
              <td>{kindOf(connection.kind)?.title ?? connection.kind}</td>
              <td className="mono small">{connection.base_url}</td>
              <td>
                <span data-testid="connection-status">
                  <StatusBadge status={connection.status} />
                </span>
                {connection.status_detail && <div className="muted small">{connection.status_detail}</div>}
              </td>
              <td>
                <StatusBadge status={connection.breaker.state} />
                {connection.breaker.state === "open" && (
                  <span className="muted small"> retry in {connection.breaker.retry_in_seconds} s</span>
                )}
              </td>
              <td className="row-actions">
                {kindOf(connection.kind)?.auth === "oauth2" && (
                  <button type="button" className="primary" onClick={() => connect(connection)}>
                    {connection.status === "connected" ? "Reconnect" : "Connect"}
                    <span className="sr-only"> {connection.name}</span>
                  </button>
                )}
                <button type="button" onClick={() => test(connection)}>
                  Test connection<span className="sr-only"> {connection.name}</span>
                </button>
                <button type="button" className="danger" onClick={() => setDeleting(connection)}>
                  Delete<span className="sr-only"> {connection.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <CreateConnection
        open={creating}
        kinds={kindList}
        onClose={() => setCreating(false)}
        onCreated={(connection) => {
          setCreating(false);
          setMessage({ kind: "success", text: `Created ${connection.name}` });
          list.reload();
        }}
      />
      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete connection"
        confirmLabel="Delete connection"
        danger
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await connections.remove(deleting.id);
          list.reload();
        }}
      >
        <p>
          Delete <strong>{deleting?.name}</strong>? Workflows that use it will fail until they get another connection.
        </p>
      </ConfirmDialog>
    </section>
  );
}

interface CreateProps {
  open: boolean;
  kinds: ConnectionKind[];
  onClose: () => void;
  onCreated: (connection: Connection) => void;
}

function CreateConnection({ open, kinds, onClose, onCreated }: CreateProps) {
  const [kind, setKind] = useState("");
  const [name, setName] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const chosen = kinds.find((k) => k.kind === kind);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      const created = await connections.create({
        kind,
        name,
        base_url: baseUrl || chosen?.default_base_url || "",
        secrets: Object.fromEntries(Object.entries(secrets).filter(([, value]) => value)),
      });
      setName("");
      setSecrets({});
      onCreated(created);
    } catch (error) {
      const body = (error as { body?: unknown }).body;
      if (body && typeof body === "object") {
        setErrors(
          Object.fromEntries(
            Object.entries(body as Record<string, unknown>).map(([key, value]) => [
              key,
              Array.isArray(value) ? value.join(" ") : String(value),
            ]),
          ),
        );
      } else setErrors({ detail: (error as Error).message });
    }
  }

  const fieldError = (key: string) =>
    errors[key] ? (
      <p className="field-error" role="alert">
        {errors[key]}
      </p>
    ) : null;

  return (
    <Dialog open={open} title="New connection" onClose={onClose}>
      <form onSubmit={submit}>
        {fieldError("detail")}
        <div className="field">
          <label htmlFor="connection-kind">Kind</label>
          <select
            id="connection-kind"
            required
            value={kind}
            onChange={(event) => {
              setKind(event.target.value);
              setBaseUrl(kinds.find((k) => k.kind === event.target.value)?.default_base_url ?? "");
            }}
          >
            <option value="">Choose…</option>
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.title}
              </option>
            ))}
          </select>
          {fieldError("kind")}
        </div>
        <div className="field">
          <label htmlFor="connection-name">Name</label>
          <input id="connection-name" required value={name} onChange={(event) => setName(event.target.value)} />
          {fieldError("name")}
        </div>
        <div className="field">
          <label htmlFor="connection-base-url">Base URL</label>
          <input
            id="connection-base-url"
            type="url"
            value={baseUrl}
            onChange={(event) => setBaseUrl(event.target.value)}
          />
          {chosen?.sandbox_path && (
            <p className="hint">For the local sandbox use {`${window.location.origin}${chosen.sandbox_path}`}</p>
          )}
          {fieldError("base_url")}
        </div>
        {Object.entries(chosen?.secret_fields ?? {}).map(([field, spec]) => (
          <div className="field" key={field}>
            <label htmlFor={`secret-${field}`}>{spec.title ?? field.replace(/_/g, " ")}</label>
            <input
              id={`secret-${field}`}
              type="password"
              autoComplete="off"
              value={secrets[field] ?? ""}
              onChange={(event) => setSecrets({ ...secrets, [field]: event.target.value })}
            />
          </div>
        ))}
        {fieldError("secrets")}
        <div className="dialog-footer">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Create connection
          </button>
        </div>
      </form>
    </Dialog>
  );
}
