const TONES: Record<string, string> = {
  succeeded: "good",
  connected: "good",
  active: "good",
  closed: "good",
  resolved: "good",
  running: "busy",
  pending: "busy",
  waiting: "busy",
  retrying: "busy",
  half_open: "warn",
  review: "warn",
  paused: "muted",
  skipped: "muted",
  cancelled: "muted",
  idle: "muted",
  failed: "bad",
  dead: "bad",
  error: "bad",
  open: "bad",
  needs_reauth: "bad",
};

const LABELS: Record<string, string> = {
  needs_reauth: "needs re-authorisation",
  half_open: "half open",
  review: "in review",
};

/** A coloured label for any status the API reports (unknown ones are shown neutral). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge badge-${TONES[status] ?? "muted"}`} data-status={status}>
      {label ?? LABELS[status] ?? status.replace(/_/g, " ")}
    </span>
  );
}
