// JSON text typed by a person.

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJsonText(text: string): Parsed {
  if (!text.trim()) return { ok: false, message: "Enter a JSON value, e.g. {}" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function pretty(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
