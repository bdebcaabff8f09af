import { useEffect, useState } from "react";
import { diffDocuments, type DocumentDiff } from "../graph/diff";
import type { WorkflowDocument } from "../graph/types";
import { editorApi, type VersionSummary } from "./api";
import { DiffView } from "./DiffView";
import { Dialog } from "../components/Dialog";

interface HistoryDialogProps {
  workflowId: string;
  current: number | null;
  /** The canvas as it is now, to compare with a version. */
  working: WorkflowDocument;
  onRestore: (number: number) => Promise<void>;
  onClose: () => void;
}

const WORKING = 0;

/** The versions, newest first: restore one, or compare two (or one with the canvas). */
export function HistoryDialog({ workflowId, current, working, onRestore, onClose }: HistoryDialogProps) {
  const [versions, setVersions] = useState<VersionSummary[]>();
  const [error, setError] = useState<string>();
  const [from, setFrom] = useState<number>();
  const [to, setTo] = useState<number>(WORKING);
  const [diff, setDiff] = useState<DocumentDiff>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    editorApi.versions(workflowId).then(
      (list) => {
        setVersions(list);
        if (list.length) setFrom(list[0].number);
      },
      (e: Error) => setError(e.message),
    );
  }, [workflowId]);

  async function compare() {
    if (from === undefined) return;
    setError(undefined);
    try {
      const load = async (n: number) => (n === WORKING ? working : (await editorApi.version(workflowId, n)).document);
      const [a, b] = await Promise.all([load(from), load(to)]);
      setDiff(diffDocuments(a, b));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function restore(number: number) {
    setBusy(true);
    try {
      await onRestore(number);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  }

  const label = (n: number) => (n === WORKING ? "the canvas (unsaved)" : `version ${n}`);
  return (
    <Dialog open title="Version history" onClose={onClose} wide>
      {error && <p className="ed-field-error" role="alert">{error}</p>}
      {!versions && !error && <p className="ed-muted">Loading versions…</p>}
      {versions && versions.length === 0 && <p>No version saved yet.</p>}
      {versions && versions.length > 0 && (
        <>
          <table className="ed-versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Message</th>
                <th scope="col">By</th>
                <th scope="col">Saved</th>
                <th scope="col"><span className="ed-sr">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.number} data-testid={`version-${v.number}`}>
                  <td>
                    {v.number}
                    {v.number === current && <span className="ed-tag">open</span>}
                  </td>
                  <td>{v.message || <span className="ed-muted">(no message)</span>}</td>
                  <td>{v.created_by ?? "—"}</td>
                  <td>{new Date(v.created_at).toLocaleString()}</td>
                  <td>
                    <button type="button" className="ed-small" disabled={busy} onClick={() => restore(v.number)}>
                      Restore version {v.number}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="ed-compare">
            <label>
              Compare
              <select value={from} onChange={(e) => setFrom(Number(e.target.value))} aria-label="Compare from">
                {versions.map((v) => <option key={v.number} value={v.number}>{label(v.number)}</option>)}
              </select>
            </label>
            <label>
              with
              <select value={to} onChange={(e) => setTo(Number(e.target.value))} aria-label="Compare with">
                <option value={WORKING}>{label(WORKING)}</option>
                {versions.map((v) => <option key={v.number} value={v.number}>{label(v.number)}</option>)}
              </select>
            </label>
            <button type="button" onClick={compare}>Show differences</button>
          </div>
          {diff && from !== undefined && <DiffView diff={diff} from={label(from)} to={label(to)} />}
        </>
      )}
      <p className="ed-hint">Restoring saves the old version's flow as a new version; nothing is lost.</p>
    </Dialog>
  );
}
