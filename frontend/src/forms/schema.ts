// JSON Schema → form fields. No node type is known here: every widget follows from the schema,
// the node type's option_sources and connection_kind.

import type { JsonSchema } from "../graph/types";

export type Widget =
  | "text"
  | "textarea"
  | "number"
  | "integer"
  | "checkbox"
  | "select"
  | "options"
  | "connection"
  | "expression"
  | "json"
  | "object"
  | "table"
  | "list";

export interface FieldSpec {
  /** Dotted path inside config ("headers", "retry.max"); array rows are added by the renderer. */
  path: string;
  key: string;
  label: string;
  widget: Widget;
  required: boolean;
  description?: string;
  default?: unknown;
  /** select: the enum's values. */
  choices?: unknown[];
  /** object: its fields; table/list: the fields of one row (paths relative to the row). */
  children?: FieldSpec[];
  /** list: the spec of one element (path relative to the element, i.e. ""). */
  item?: FieldSpec;
  schema: JsonSchema;
}

export interface FormContext {
  /** Top-level config fields whose choices come from the options endpoint. */
  optionSources: string[];
}

function typeOf(schema: JsonSchema): string | undefined {
  const type = schema.type;
  if (Array.isArray(type)) return type.find((t) => t !== "null") as string | undefined;
  return type as string | undefined;
}

export function widgetFor(schema: JsonSchema, path: string, context: FormContext): Widget {
  const format = schema.format;
  const type = typeOf(schema);
  if (format === "connection" || schema["x-connection"]) return "connection";
  if (context.optionSources.includes(path) || schema["x-options"]) return "options";
  if (Array.isArray(schema.enum)) return "select";
  if (format === "jsonata" || schema["x-expression"]) return "expression";
  if (type === "boolean") return "checkbox";
  if (type === "integer") return "integer";
  if (type === "number") return "number";
  if (type === "object") return schema.properties ? "object" : "json";
  if (type === "array") {
    const items = (schema.items ?? {}) as JsonSchema;
    if (typeOf(items) === "object" && items.properties) return "table";
    const itemType = typeOf(items);
    return itemType && ["string", "integer", "number"].includes(itemType) || Array.isArray(items.enum) ? "list" : "json";
  }
  if (type === "string") {
    const max = schema.maxLength;
    return format === "textarea" || (typeof max === "number" && max > 500) ? "textarea" : "text";
  }
  return "json";
}

function title(key: string, schema: JsonSchema): string {
  return typeof schema.title === "string" && schema.title ? schema.title : key;
}

/** The fields of an object schema, in the schema's property order. */
export function fieldsFor(schema: JsonSchema, context: FormContext, prefix = ""): FieldSpec[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([key, property]) => fieldFor(key, property, required.has(key), context, prefix));
}

function fieldFor(key: string, schema: JsonSchema, required: boolean, context: FormContext, prefix: string): FieldSpec {
  const path = prefix ? `${prefix}.${key}` : key;
  const widget = widgetFor(schema, path, context);
  const spec: FieldSpec = {
    path,
    key,
    label: title(key, schema),
    widget,
    required,
    description: typeof schema.description === "string" ? schema.description : undefined,
    default: schema.default,
    schema,
  };
  if (widget === "select") spec.choices = schema.enum as unknown[];
  if (widget === "object") spec.children = fieldsFor(schema, context, path);
  if (widget === "table") spec.children = fieldsFor(schema.items as JsonSchema, { optionSources: [] }, "");
  if (widget === "list") {
    const items = schema.items as JsonSchema;
    spec.item = { ...fieldFor("", items, true, { optionSources: [] }, ""), label: title(key, items) };
  }
  return spec;
}

/** A new empty row of a table: the row schema's defaults. */
export function newRow(spec: FieldSpec): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const child of spec.children ?? []) {
    if (child.default !== undefined) row[child.key] = structuredClone(child.default);
    else if (child.widget === "select" && child.required && child.choices?.length) row[child.key] = child.choices[0];
    else if (child.widget === "checkbox") row[child.key] = false;
    else if (["text", "textarea", "expression"].includes(child.widget)) row[child.key] = "";
  }
  return row;
}

/** The value an input shows: the stored value, else the schema default. */
export function shownValue(spec: FieldSpec, stored: unknown): unknown {
  return stored === undefined ? spec.default : stored;
}

/** A typed input turned into the stored value: "" clears optional fields, numbers parse. */
export function parseInput(spec: FieldSpec, raw: string): unknown {
  if (spec.widget === "number" || spec.widget === "integer") {
    if (raw.trim() === "") return undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : raw;
  }
  if (spec.widget === "select") {
    if (raw === "") return undefined;
    return spec.choices?.find((choice) => String(choice) === raw) ?? raw;
  }
  if (raw === "" && !spec.required) return undefined;
  return raw;
}
