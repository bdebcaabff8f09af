// JSON typed by a person: parse it, and say where it is wrong.

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

export function parseJson(text: string): JsonParse {
  if (!text.trim()) return { ok: false, message: "Enter a JSON value, e.g. {} or []" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    if (position) {
      const { line, column } = lineAndColumn(text, Number(position[1]));
      return { ok: false, message: `Invalid JSON at line ${line}, column ${column}: ${message}` };
    }
    return { ok: false, message: `Invalid JSON: ${message}` };
  }
}

export function prettyJson(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}
