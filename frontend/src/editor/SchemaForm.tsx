import { useEffect, useId, useState, type ReactNode } from "react";
import { getAt, setAt } from "../forms/paths";
import { newRow, parseInput, shownValue, type FieldSpec } from "../forms/schema";
import type { ConnectionInfo } from "./api";
import { ExpressionField } from "./ExpressionField";
import { parseJson } from "../components/json";
import { ConnectionField, OptionsField } from "./OptionsField";

export interface FormEnv {
  nodeType: string;
  connectionKind: string | null;
  connections: ConnectionInfo[];
  /** Input name ("config.url") → the server's messages. */
  errors: Record<string, string[]>;
  sample: unknown;
}

interface SchemaFormProps {
  fields: FieldSpec[];
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
  env: FormEnv;
}

/** The config form generated from a node type's JSON Schema. */
export function SchemaForm({ fields, config, onChange, env }: SchemaFormProps) {
  const set = (path: string, value: unknown) => onChange(setAt(config, path, value));
  return (
    <div className="ed-form">
      {fields.map((spec) => (
        <Field key={spec.path} spec={spec} path={spec.path} config={config} set={set} env={env} />
      ))}
    </div>
  );
}

interface FieldProps {
  spec: FieldSpec;
  /** Full dotted path inside config. */
  path: string;
  config: Record<string, unknown>;
  set: (path: string, value: unknown) => void;
  env: FormEnv;
}

function Field({ spec, path, config, set, env }: FieldProps) {
  const id = useId();
  const name = `config.${path}`;
  const errors = env.errors[name] ?? [];
  const stored = getAt(config, path);
  const value = shownValue(spec, stored);
  const describedBy = [spec.description ? `${id}-desc` : "", errors.length ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  const common = { id, name, describedBy, invalid: errors.length > 0 };

  if (spec.widget === "object") {
    return (
      <fieldset className="ed-fieldset">
        <legend>{spec.label}</legend>
        {spec.description && <p className="ed-hint">{spec.description}</p>}
        {spec.children?.map((child) => (
          <Field key={child.path} spec={child} path={join(path, child.path.slice(spec.path.length + 1))} config={config} set={set} env={env} />
        ))}
        <Errors id={`${id}-err`} name={name} errors={errors} />
      </fieldset>
    );
  }
  if (spec.widget === "table") return <TableField spec={spec} path={path} config={config} set={set} env={env} errors={errors} />;

  let control: ReactNode;
  switch (spec.widget) {
    case "checkbox":
      return (
        <div className="ed-field ed-check">
          <input
            type="checkbox"
            id={id}
            name={name}
            checked={value === true}
            aria-invalid={common.invalid}
            aria-describedby={describedBy}
            onChange={(event) => set(path, event.target.checked)}
          />
          <label htmlFor={id}>
            {spec.label}
            {spec.required && <Required />}
          </label>
          {spec.description && <p className="ed-hint" id={`${id}-desc`}>{spec.description}</p>}
          <Errors id={`${id}-err`} name={name} errors={errors} />
        </div>
      );
    case "select":
      control = (
        <select
          id={id}
          name={name}
          value={value === undefined ? "" : String(value)}
          aria-invalid={common.invalid}
          aria-describedby={describedBy}
          onChange={(event) => set(path, parseInput(spec, event.target.value))}
        >
          {(!spec.required || value === undefined) && <option value="">—</option>}
          {spec.choices?.map((choice) => (
            <option key={String(choice)} value={String(choice)}>
              {String(choice)}
            </option>
          ))}
        </select>
      );
      break;
    case "options":
      control = (
        <OptionsField
          {...common}
          required={spec.required}
          nodeType={env.nodeType}
          field={path}
          connection={String(getAt(config, "connection") ?? "")}
          value={value === undefined ? "" : String(value)}
          onChange={(next) => set(path, next)}
        />
      );
      break;
    case "connection":
      control = (
        <ConnectionField
          {...common}
          required={spec.required}
          kind={env.connectionKind}
          connections={env.connections}
          value={value === undefined ? "" : String(value)}
          onChange={(next) => set(path, next ?? "")}
        />
      );
      break;
    case "expression":
      control = (
        <ExpressionField
          {...common}
          value={value === undefined ? "" : String(value)}
          sample={env.sample}
          onChange={(text) => set(path, parseInput(spec, text))}
        />
      );
      break;
    case "number":
    case "integer":
      control = (
        <input
          type="number"
          {...inputProps(common)}
          step={spec.widget === "integer" ? 1 : "any"}
          min={num(spec.schema.minimum)}
          max={num(spec.schema.maximum)}
          value={value === undefined ? "" : String(value)}
          onChange={(event) => set(path, parseInput(spec, event.target.value))}
        />
      );
      break;
    case "list":
      control = <ListField {...common} spec={spec} value={Array.isArray(value) ? value : []} onChange={(next) => set(path, next)} />;
      break;
    case "json":
      control = <JsonField {...common} value={value} onChange={(next) => set(path, next)} />;
      break;
    case "textarea":
      control = (
        <textarea {...inputProps(common)} rows={4} value={value === undefined ? "" : String(value)} onChange={(e) => set(path, parseInput(spec, e.target.value))} />
      );
      break;
    default:
      control = (
        <input
          type={spec.schema.format === "email" ? "email" : "text"}
          {...inputProps(common)}
          value={value === undefined || value === null ? "" : String(value)}
          onChange={(event) => set(path, parseInput(spec, event.target.value))}
        />
      );
  }
  return (
    <div className="ed-field">
      <label htmlFor={id}>
        {spec.label}
        {spec.required && <Required />}
        {spec.widget === "expression" && <span className="ed-tag">JSONata</span>}
      </label>
      {control}
      {spec.description && <p className="ed-hint" id={`${id}-desc`}>{spec.description}</p>}
      <Errors id={`${id}-err`} name={name} errors={errors} />
    </div>
  );
}

function join(base: string, rest: string): string {
  return base && rest ? `${base}.${rest}` : base || rest;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function inputProps(common: { id: string; name: string; describedBy?: string; invalid: boolean }) {
  return { id: common.id, name: common.name, "aria-describedby": common.describedBy, "aria-invalid": common.invalid };
}

function Required() {
  return (
    <span className="ed-required" aria-label="required" title="required">
      {" "}*
    </span>
  );
}

function Errors({ id, name, errors }: { id: string; name: string; errors: string[] }) {
  if (!errors.length) return null;
  return (
    <p className="ed-field-error" id={id} data-testid={`field-error-${name}`} role="alert">
      {errors.join("; ")}
    </p>
  );
}

function TableField({ spec, path, config, set, env, errors }: Omit<FieldProps, "spec"> & { spec: FieldSpec; errors: string[] }) {
  const rows = (Array.isArray(getAt(config, path)) ? getAt(config, path) : Array.isArray(spec.default) ? spec.default : []) as unknown[];
  const columns = spec.children ?? [];
  const name = `config.${path}`;
  return (
    <fieldset className="ed-fieldset ed-table">
      <legend>
        {spec.label}
        {spec.required && <Required />}
      </legend>
      {spec.description && <p className="ed-hint">{spec.description}</p>}
      {rows.length === 0 && <p className="ed-muted">No rows yet.</p>}
      {rows.map((_, index) => (
        <div className="ed-row" key={index} role="group" aria-label={`${spec.label} row ${index + 1}`}>
          <div className="ed-row-fields">
            {columns.map((column) => (
              <Field key={column.path} spec={column} path={`${path}.${index}.${column.path}`} config={config} set={set} env={env} />
            ))}
          </div>
          <button
            type="button"
            className="ed-icon"
            aria-label={`Remove ${spec.label} row ${index + 1}`}
            onClick={() => set(path, rows.filter((__, i) => i !== index))}
          >
            ×
          </button>
        </div>
      ))}
      <button type="button" className="ed-small" onClick={() => set(path, [...rows, newRow(spec)])}>
        Add row
      </button>
      <Errors id={`${name}-err`} name={name} errors={errors} />
    </fieldset>
  );
}

function ListField(props: { id: string; name: string; describedBy?: string; invalid: boolean; spec: FieldSpec; value: unknown[]; onChange: (v: unknown[]) => void }) {
  const [text, setText] = useState(props.value.join(", "));
  useEffect(() => setText(props.value.join(", ")), [props.value.join(",")]); // eslint-disable-line react-hooks/exhaustive-deps
  const item = props.spec.item!;
  return (
    <input
      {...inputProps(props)}
      value={text}
      placeholder="comma-separated"
      onChange={(event) => setText(event.target.value)}
      onBlur={() =>
        props.onChange(
          text
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean)
            .map((part) => parseInput(item, part)),
        )
      }
    />
  );
}

function JsonField(props: { id: string; name: string; describedBy?: string; invalid: boolean; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(props.value === undefined ? "" : JSON.stringify(props.value, null, 2));
  const [error, setError] = useState<string>();
  useEffect(() => {
    setText(props.value === undefined ? "" : JSON.stringify(props.value, null, 2));
  }, [JSON.stringify(props.value)]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <>
      <textarea
        {...inputProps(props)}
        className="ed-code"
        rows={4}
        spellCheck={false}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onBlur={() => {
          if (!text.trim()) {
            setError(undefined);
            props.onChange(undefined);
            return;
          }
          const parsed = parseJson(text);
          if (parsed.ok) {
            setError(undefined);
            props.onChange(parsed.value);
          } else setError(parsed.message);
        }}
      />
      {error && <p className="ed-field-error">{error}</p>}
    </>
  );
}
