// Reading and writing values at dotted paths ("fields.0.expression") in a config object.

export function splitPath(path: string): string[] {
  return path ? path.split(".") : [];
}

export function getAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of splitPath(path)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A copy of ``root`` with ``value`` at ``path`` (missing containers are created; undefined deletes). */
export function setAt<T>(root: T, path: string, value: unknown): T {
  const keys = splitPath(path);
  if (!keys.length) return value as T;
  const [head, ...tail] = keys;
  const container: Record<string, unknown> | unknown[] = Array.isArray(root)
    ? [...root]
    : root && typeof root === "object"
      ? { ...(root as Record<string, unknown>) }
      : /^\d+$/.test(head)
        ? []
        : {};
  const child = (container as Record<string, unknown>)[head];
  const next = tail.length ? setAt(child, tail.join("."), value) : value;
  if (next === undefined && !Array.isArray(container)) delete (container as Record<string, unknown>)[head];
  else (container as Record<string, unknown>)[head] = next;
  return container as T;
}
