import { prettyJson } from "./json";

interface JsonBlockProps {
  label: string;
  value: unknown;
  open?: boolean;
  testId?: string;
}

/** A labelled JSON value that expands on demand (details/summary: keyboard accessible as is). */
export function JsonBlock({ label, value, open, testId }: JsonBlockProps) {
  const empty = value === null || value === undefined;
  return (
    <details className="json-block" open={open} data-testid={testId}>
      <summary>
        {label}
        {empty && <span className="muted"> (none)</span>}
      </summary>
      {!empty && <pre>{prettyJson(value)}</pre>}
    </details>
  );
}
