import { useId } from "react";
import { parseJson } from "./json";

interface JsonEditorProps {
  label: string;
  value: string;
  onChange: (text: string) => void;
  rows?: number;
}

/** A JSON textarea that says, as you type, whether the text is valid JSON and where it is not. */
export function JsonEditor({ label, value, onChange, rows = 14 }: JsonEditorProps) {
  const id = useId();
  const parsed = parseJson(value);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="code"
        rows={rows}
        spellCheck={false}
        value={value}
        aria-invalid={!parsed.ok}
        aria-describedby={`${id}-status`}
        onChange={(event) => onChange(event.target.value)}
      />
      <p id={`${id}-status`} className={parsed.ok ? "hint" : "field-error"} role={parsed.ok ? undefined : "alert"}>
        {parsed.ok ? "Valid JSON" : parsed.message}
      </p>
    </div>
  );
}
