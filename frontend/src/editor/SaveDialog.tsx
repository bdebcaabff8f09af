import { useState } from "react";
import { Dialog } from "../components/Dialog";
import { useSubmit } from "./useSubmit";

interface SaveDialogProps {
  onSave: (message: string) => Promise<void>;
  onClose: () => void;
  baseVersion: number | null;
}

/** "Save as a new version" with a message. */
export function SaveDialog({ onSave, onClose, baseVersion }: SaveDialogProps) {
  const [message, setMessage] = useState("");
  const { busy, error, submit: run } = useSubmit();
  const submit = () => run(() => onSave(message.trim()));
  return (
    <Dialog
      open
      title="Save a new version"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="ed-save-form" className="ed-primary" disabled={busy}>
            Save version
          </button>
        </>
      }
    >
      <form
        id="ed-save-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="ed-field">
          <label htmlFor="ed-version-message">Version message</label>
          <input
            id="ed-version-message"
            autoFocus
            value={message}
            maxLength={500}
            placeholder="What changed, e.g. 'Shipping on its own account'"
            onChange={(event) => setMessage(event.target.value)}
          />
          <p className="ed-hint">
            {baseVersion ? `Saved on top of version ${baseVersion}.` : "The first version of this workflow."} Versions are
            never changed afterwards; runs use the newest.
          </p>
        </div>
        {error && (
          <p className="ed-field-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Dialog>
  );
}
