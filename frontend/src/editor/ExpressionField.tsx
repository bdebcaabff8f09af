import jsonata from "jsonata";
import { useEffect, useState } from "react";
import { prettyJson } from "../components/json";

type Preview = { state: "idle" } | { state: "ok"; value: unknown } | { state: "error"; message: string };

/** Evaluates ``expression`` against ``sample`` in the browser (as the engine does: $trigger is the input). */
export async function evaluatePreview(expression: string, sample: unknown): Promise<Preview> {
  if (!expression.trim()) return { state: "idle" };
  try {
    const compiled = jsonata(expression);
    const value = await compiled.evaluate(sample, { trigger: sample });
    return { state: "ok", value };
  } catch (error) {
    const e = error as { message?: string; position?: number };
    const where = typeof e.position === "number" ? ` (at character ${e.position})` : "";
    return { state: "error", message: `${e.message ?? String(error)}${where}` };
  }
}

interface ExpressionFieldProps {
  id: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  sample: unknown;
  describedBy?: string;
  invalid: boolean;
}

/** A JSONata editor with a live preview of its result on the sample data. */
export function ExpressionField({ id, name, value, onChange, sample, describedBy, invalid }: ExpressionFieldProps) {
  const [preview, setPreview] = useState<Preview>({ state: "idle" });
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      evaluatePreview(value, sample).then((result) => current && setPreview(result));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [value, sample]);
  return (
    <div className="ed-expression">
      <textarea
        id={id}
        name={name}
        className="ed-code"
        rows={Math.min(8, Math.max(2, value.split("\n").length))}
        spellCheck={false}
        value={value}
        aria-invalid={invalid || preview.state === "error"}
        aria-describedby={describedBy}
        onChange={(event) => onChange(event.target.value)}
      />
      {preview.state !== "idle" && (
        <output className={`ed-preview ed-preview-${preview.state}`} aria-live="polite" htmlFor={id}>
          <span className="ed-preview-label">{preview.state === "ok" ? "Preview" : "Error"}</span>
          <pre>{preview.state === "ok" ? (preview.value === undefined ? "(no result)" : prettyJson(preview.value)) : preview.message}</pre>
        </output>
      )}
    </div>
  );
}
