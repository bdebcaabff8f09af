import type { VersionSummary } from "./api";

interface StaleWarningProps {
  latest: VersionSummary;
  dirty: boolean;
  onReload: () => void;
  onCompare: () => void;
  onOverwrite: () => void;
}

/** Someone saved a newer version: say so, and let the user choose; never overwrite silently. */
export function StaleWarning({ latest, dirty, onReload, onCompare, onOverwrite }: StaleWarningProps) {
  return (
    <div className="ed-stale" data-testid="stale-warning" role="alert">
      <p>
        <strong>
          {latest.created_by ?? "Someone"} saved version {latest.number} meanwhile
        </strong>
        {latest.message && <> (“{latest.message}”)</>}. Your canvas is based on an older version
        {dirty ? " and has unsaved changes" : ""}.
      </p>
      <div className="ed-stale-actions">
        <button type="button" onClick={onReload}>
          Load version {latest.number}
        </button>
        <button type="button" onClick={onCompare}>
          Compare versions
        </button>
        <button type="button" onClick={onOverwrite}>
          Save mine on top of version {latest.number}
        </button>
      </div>
    </div>
  );
}
