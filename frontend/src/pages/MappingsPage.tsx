import { useRef, useState } from "react";
import { listOf } from "../api/client";
import { mappings, rates } from "../api/resources";
import type { CurrencyRate, MappingTable, MissingPolicy, RateImport } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { LoadError, Notice } from "../components/Notice";
import { isMissingEndpoint, Unavailable } from "../components/Unavailable";
import { useLoad } from "../components/useLoad";

type Message = { kind: "error" | "success"; text: string };
const POLICIES: { value: MissingPolicy; label: string }[] = [
  { value: "review", label: "Flag for review" },
  { value: "default", label: "Use the default" },
  { value: "fail", label: "Fail the run" },
];
const KINDS = ["sku_item", "tax_type", "charge_account"];

export default function MappingsPage() {
  const [message, setMessage] = useState<Message>();
  return (
    <section className="page">
      <header className="page-header">
        <h1>Mappings &amp; rates</h1>
      </header>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <MappingTables onMessage={setMessage} />
      <Rates onMessage={setMessage} />
    </section>
  );
}

function MappingTables({ onMessage }: { onMessage: (message: Message) => void }) {
  const list = useLoad(() => mappings.list(), []);
  const [deleting, setDeleting] = useState<MappingTable>();
  if (isMissingEndpoint(list.error)) return <Unavailable what="Mapping tables" />;

  async function add() {
    try {
      await mappings.create({ name: "New mapping", kind: "sku_item", default_value: "", missing_policy: "review", entries: [] });
      list.reload();
    } catch (error) {
      onMessage({ kind: "error", text: (error as Error).message });
    }
  }

  return (
    <>
      <div className="section-header">
        <h2>Mapping tables</h2>
        <button type="button" onClick={add}>
          New mapping table
        </button>
      </div>
      <LoadError error={list.error} />
      {(list.data ? listOf(list.data) : []).map((table) => (
        <MappingEditor
          key={table.id}
          table={table}
          onSaved={(text) => {
            onMessage({ kind: "success", text });
            list.reload();
          }}
          onError={(text) => onMessage({ kind: "error", text })}
          onDelete={() => setDeleting(table)}
        />
      ))}
      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete mapping table"
        confirmLabel="Delete mapping table"
        danger
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await mappings.remove(deleting.id);
          list.reload();
        }}
      >
        <p>
          Delete <strong>{deleting?.name}</strong> and its {deleting?.entries.length} entries?
        </p>
      </ConfirmDialog>
    </>
  );
}

interface EditorProps {
  table: MappingTable;
  onSaved: (text: string) => void;
  onError: (text: string) => void;
  onDelete: () => void;
}

function MappingEditor({ table, onSaved, onError, onDelete }: EditorProps) {
  const [draft, setDraft] = useState(table);
  const prefix = `mapping-${table.id}`;
  const dirty = JSON.stringify(draft) !== JSON.stringify(table);
  const setEntry = (index: number, key: "key" | "value", value: string) =>
    setDraft({ ...draft, entries: draft.entries.map((e, i) => (i === index ? { ...e, [key]: value } : e)) });

  async function save() {
    try {
      const { id: _id, ...body } = draft;
      await mappings.update(table.id, { ...body, entries: body.entries.filter((e) => e.key.trim()) });
      onSaved(`Saved ${draft.name}`);
    } catch (error) {
      onError((error as Error).message);
    }
  }

  return (
    <article className="panel" aria-label={`Mapping table ${table.name}`}>
      <div className="filters">
        <label>
          Name
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </label>
        <label>
          Kind
          <input
            list={`${prefix}-kinds`}
            value={draft.kind}
            onChange={(e) => setDraft({ ...draft, kind: e.target.value })}
          />
          <datalist id={`${prefix}-kinds`}>
            {KINDS.map((kind) => (
              <option key={kind} value={kind} />
            ))}
          </datalist>
        </label>
        <label>
          Default value
          <input value={draft.default_value} onChange={(e) => setDraft({ ...draft, default_value: e.target.value })} />
        </label>
        <label>
          When a key is missing
          <select
            value={draft.missing_policy}
            onChange={(e) => setDraft({ ...draft, missing_policy: e.target.value as MissingPolicy })}
          >
            {POLICIES.map((policy) => (
              <option key={policy.value} value={policy.value}>
                {policy.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table className="table compact">
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {draft.entries.map((entry, index) => (
            <tr key={index}>
              <td>
                <input aria-label={`Key ${index + 1}`} value={entry.key} onChange={(e) => setEntry(index, "key", e.target.value)} />
              </td>
              <td>
                <input
                  aria-label={`Value ${index + 1}`}
                  value={entry.value}
                  onChange={(e) => setEntry(index, "value", e.target.value)}
                />
              </td>
              <td>
                <button
                  type="button"
                  aria-label={`Remove entry ${index + 1}`}
                  onClick={() => setDraft({ ...draft, entries: draft.entries.filter((_, i) => i !== index) })}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" onClick={() => setDraft({ ...draft, entries: [...draft.entries, { key: "", value: "" }] })}>
          Add entry
        </button>
        <button type="button" className="primary" disabled={!dirty} onClick={save}>
          Save
        </button>
        <button type="button" className="danger" onClick={onDelete}>
          Delete table
        </button>
      </div>
    </article>
  );
}

const EMPTY_RATE: Omit<CurrencyRate, "id"> = { date: "", from_currency: "", to_currency: "", rate: "", source: "manual" };
const DECIMAL = /^\d+(\.\d+)?$/;

function Rates({ onMessage }: { onMessage: (message: Message) => void }) {
  const list = useLoad(() => rates.list(), []);
  const [draft, setDraft] = useState(EMPTY_RATE);
  const [report, setReport] = useState<RateImport>();
  const file = useRef<HTMLInputElement>(null);
  if (isMissingEndpoint(list.error)) return <Unavailable what="Currency rates" />;

  async function add() {
    try {
      await rates.create({ ...draft, from_currency: draft.from_currency.toUpperCase(), to_currency: draft.to_currency.toUpperCase() });
      setDraft(EMPTY_RATE);
      list.reload();
    } catch (error) {
      onMessage({ kind: "error", text: (error as Error).message });
    }
  }

  async function importCsv(chosen: File) {
    try {
      const result = await rates.importCsv(chosen);
      setReport(result);
      list.reload();
    } catch (error) {
      onMessage({ kind: "error", text: (error as Error).message });
    }
  }

  const valid = draft.date && /^[A-Za-z]{3}$/.test(draft.from_currency) && /^[A-Za-z]{3}$/.test(draft.to_currency) && DECIMAL.test(draft.rate);
  return (
    <>
      <div className="section-header">
        <h2>Currency rates</h2>
        <button type="button" onClick={() => file.current?.click()}>
          Import CSV
        </button>
        <input
          ref={file}
          type="file"
          accept=".csv,text/csv"
          hidden
          aria-label="Rates CSV file"
          onChange={(event) => {
            const chosen = event.target.files?.[0];
            event.target.value = "";
            if (chosen) void importCsv(chosen);
          }}
        />
      </div>
      {report && (
        <Notice kind={report.errors.length ? "error" : "success"} onDismiss={() => setReport(undefined)}>
          Imported {report.imported} rates.
          {report.errors.map((error) => (
            <span key={error.line} className="block">
              Line {error.line}: {error.message}
            </span>
          ))}
        </Notice>
      )}
      <LoadError error={list.error} />
      <table className="table compact" aria-label="Currency rates">
        <thead>
          <tr>
            <th>Date</th>
            <th>From</th>
            <th>To</th>
            <th>Rate</th>
            <th>Source</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ? listOf(list.data) : []).map((rate) => (
            <tr key={rate.id}>
              <td>{rate.date}</td>
              <td>{rate.from_currency}</td>
              <td>{rate.to_currency}</td>
              <td className="mono">{rate.rate}</td>
              <td>{rate.source}</td>
            </tr>
          ))}
          <tr>
            <td>
              <input type="date" aria-label="Rate date" value={draft.date} onChange={(e) => setDraft({ ...draft, date: e.target.value })} />
            </td>
            <td>
              <input aria-label="From currency" maxLength={3} size={4} value={draft.from_currency} onChange={(e) => setDraft({ ...draft, from_currency: e.target.value })} />
            </td>
            <td>
              <input aria-label="To currency" maxLength={3} size={4} value={draft.to_currency} onChange={(e) => setDraft({ ...draft, to_currency: e.target.value })} />
            </td>
            <td>
              <input aria-label="Rate" inputMode="decimal" value={draft.rate} onChange={(e) => setDraft({ ...draft, rate: e.target.value })} />
            </td>
            <td>
              <button type="button" className="primary" disabled={!valid} onClick={add}>
                Add rate
              </button>
            </td>
          </tr>
        </tbody>
      </table>
    </>
  );
}
