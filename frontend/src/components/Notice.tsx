import type { ReactNode } from "react";

interface NoticeProps {
  kind: "error" | "success" | "info";
  children: ReactNode;
  onDismiss?: () => void;
}

/** A message above or inside a form: errors are announced at once, the rest politely. */
export function Notice({ kind, children, onDismiss }: NoticeProps) {
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      <span>{children}</span>
      {onDismiss && (
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

/** The error of a failed load, or nothing. */
export function LoadError({ error }: { error: Error | undefined }) {
  return error ? <Notice kind="error">{error.message}</Notice> : null;
}
