/** Reading and writing a JSON object at a dotted path (`spec.snapshot.cron`), for the generic form. Pure. */
export type JsonObject = Record<string, unknown>;

export function valueAt(object: unknown, path: readonly string[]): unknown {
  let current = object;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

/**
 * A copy of `object` with `value` at `path`; `undefined` removes the key and then every object it leaves empty, so
 * a field the user clears is left to the webhook's defaults instead of being sent as `{}`.
 */
export function withValueAt(object: JsonObject, path: readonly string[], value: unknown): JsonObject {
  const [key, ...rest] = path;
  const copy: JsonObject = { ...object };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }
  const child = copy[key];
  const next = withValueAt(typeof child === 'object' && child !== null && !Array.isArray(child) ? child as JsonObject : {}, rest, value);
  if (Object.keys(next).length === 0) delete copy[key];
  else copy[key] = next;
  return copy;
}

/**
 * The form field an API error belongs to: the error's path (`spec.args[2]`, `spec.config.requirepass`) cut back
 * until it names a field the form has; '' when none does (shown above the form).
 */
export function fieldForError(errorPath: string, formPaths: ReadonlySet<string>): string {
  let path = errorPath.replace(/\[\d+\]/g, '');
  while (path) {
    if (formPaths.has(path)) return path;
    const dot = path.lastIndexOf('.');
    path = dot > 0 ? path.slice(0, dot) : '';
  }
  return '';
}
