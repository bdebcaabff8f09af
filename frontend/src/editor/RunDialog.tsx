import { useState } from "react";
import { parseJson } from "../components/json";
import { Dialog } from "../components/Dialog";
import { useSubmit } from "./useSubmit";

interface RunDialogProps {
  initial: string;
  savedVersion: number | null;
  dirty: boolean;
  onStart: (input: unknown) => Promise<void>;
  onClose: () => void;
}

/** "Run now" with a sample input (JSON). */
export function RunDialog({ initial, savedVersion, dirty, onStart, onClose }: RunDialogProps) {
  const [text, setText] = useState(initial);
  const { busy, error, submit } = useSubmit();
  const parsed = parseJson(text);
  const start = () => parsed.ok && submit(() => onStart(parsed.value));
  return (
    <Dialog
      open
      title="Run now"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="ed-primary" disabled={busy || !parsed.ok || !savedVersion} onClick={start}>
            Start run
          </button>
        </>
      }
    >
      {!savedVersion && <p className="ed-field-error">Save a first version: runs use saved versions.</p>}
      {savedVersion && dirty && (
        <p className="ed-warning">This runs saved version {savedVersion}; your unsaved changes are not part of it.</p>
      )}
      <div className="ed-field">
        <label htmlFor="ed-sample-input">Sample input</label>
        <textarea
          id="ed-sample-input"
          className="ed-code"
          rows={12}
          spellCheck={false}
          value={text}
          aria-invalid={!parsed.ok}
          onChange={(event) => setText(event.target.value)}
        />
        <p className={parsed.ok ? "ed-hint" : "ed-field-error"}>{parsed.ok ? "The trigger's item for this run." : parsed.message}</p>
      </div>
      {error && (
        <p className="ed-field-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
