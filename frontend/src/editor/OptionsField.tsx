import { useEffect, useState } from "react";
import { editorApi, type Choice, type ConnectionInfo } from "./api";

interface SelectProps {
  id: string;
  name: string;
  value: string;
  onChange: (value: string | undefined) => void;
  describedBy?: string;
  invalid: boolean;
  required: boolean;
}

const optionsCache = new Map<string, Promise<Choice[]>>();

function loadOptions(type: string, field: string, connection: string): Promise<Choice[]> {
  const key = `${type}|${field}|${connection}`;
  let pending = optionsCache.get(key);
  if (!pending) {
    pending = editorApi.options(type, field, connection);
    pending.catch(() => optionsCache.delete(key));
    optionsCache.set(key, pending);
  }
  return pending;
}

function ChoiceSelect({ choices, placeholder, ...props }: SelectProps & { choices: { value: string; label: string }[]; placeholder: string }) {
  const known = choices.some((c) => c.value === props.value);
  return (
    <select
      id={props.id}
      name={props.name}
      value={props.value}
      aria-invalid={props.invalid}
      aria-describedby={props.describedBy}
      onChange={(event) => props.onChange(event.target.value || undefined)}
    >
      <option value="">{placeholder}</option>
      {!known && props.value && <option value={props.value}>{props.value} (not in the list)</option>}
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </select>
  );
}

/** Choices from GET /api/node-types/<type>/options/<field>/ for the node's connection; text when they cannot load. */
export function OptionsField(props: SelectProps & { nodeType: string; field: string; connection: string }) {
  const [state, setState] = useState<{ choices?: Choice[]; error?: string }>({});
  useEffect(() => {
    let current = true;
    setState({});
    loadOptions(props.nodeType, props.field, props.connection).then(
      (choices) => current && setState({ choices }),
      (error: Error) => current && setState({ error: error.message }),
    );
    return () => {
      current = false;
    };
  }, [props.nodeType, props.field, props.connection]);
  if (state.error || (state.choices && state.choices.length === 0)) {
    return (
      <>
        <input
          id={props.id}
          name={props.name}
          value={props.value}
          aria-invalid={props.invalid}
          aria-describedby={props.describedBy}
          onChange={(event) => props.onChange(event.target.value || undefined)}
        />
        <p className="ed-hint">
          {state.error ? `Choices could not be loaded: ${state.error}` : "No choices offered"}
          {props.connection ? "" : " (choose the connection first)"}; type the value.
        </p>
      </>
    );
  }
  const choices = (state.choices ?? []).map((c) => ({ value: String(c.value), label: c.label ? `${c.label}` : String(c.value) }));
  return <ChoiceSelect {...props} choices={choices} placeholder={state.choices ? "— choose —" : "Loading…"} />;
}

/** The organisation's connections of the node type's kind (all kinds when it declares none). */
export function ConnectionField(props: SelectProps & { kind: string | null; connections: ConnectionInfo[] }) {
  const usable = props.connections.filter((c) => !props.kind || c.kind === props.kind);
  const byName = usable.find((c) => c.name === props.value);
  const choices = usable.map((c) => ({
    // Templates name their connection; keep the name when that is what the config holds.
    value: byName && c.id === byName.id ? c.name : c.id,
    label: `${c.name}${props.kind ? "" : ` (${c.kind})`}${c.status && c.status !== "connected" ? ` — ${c.status.replace(/_/g, " ")}` : ""}`,
  }));
  return (
    <>
      <ChoiceSelect {...props} choices={choices} placeholder={usable.length ? "— choose a connection —" : "No connection of this kind"} />
      {!usable.length && <p className="ed-hint">Create one under Connections{props.kind ? ` (kind ${props.kind})` : ""}.</p>}
    </>
  );
}
