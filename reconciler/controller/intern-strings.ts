/**
 * String interning for informer caches. JSON.parse makes a new copy of every string value, so 500 stores cache 500
 * copies of the same probe script, image name, label value and condition message (about 4 MB of a 30 MB heap at
 * 500 stores). Cached objects are walked once on ingest and each string value is replaced by one shared instance.
 *
 * The table is bounded with two generations: lookups hit the current map, then the previous one (and promote); when
 * the current map is full it becomes the previous one. Strings still in use keep being found and promoted, unique
 * ones (uids, resource versions) age out, so the table never grows with churn.
 */
export type Interner = <T>(value: T) => T;

export function createInterner(maxEntries = 8192): Interner {
  let current = new Map<string, string>();
  let previous = new Map<string, string>();

  const internString = (text: string): string => {
    const found = current.get(text);
    if (found !== undefined) return found;
    const older = previous.get(text) ?? text;
    if (current.size >= maxEntries) {
      previous = current;
      current = new Map();
    }
    current.set(older, older);
    return older;
  };

  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return internString(value);
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) value[index] = walk(value[index]);
      return value;
    }
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = walk(record[key]);
    }
    return value;
  };

  return <T>(value: T): T => walk(value) as T;
}
