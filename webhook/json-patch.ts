/**
 * RFC 6902 JSON Patch from the raw `request.object` to our mutated copy.
 *
 * Only `add` and `replace` are emitted: a key the mutated copy lacks is left alone, so fields our schema does not
 * know (a newer CRD version, another mutating webhook) are never removed. A caller that owns a path names it in
 * `ownedPaths`: that value is then replaced whole when it differs, and removed when the mutated copy drops it.
 * New subtrees are added whole at their first missing key, so parents
 * always exist; arrays are replaced whole (element-wise ops on lists that another webhook may have reordered would
 * be fragile). Nothing changed -> no operations.
 */

import { isPlainObject, jsonEqual } from '../shared/json-value.js';


export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export interface JsonPatchOptions {
  /** JSON Pointers whose values the caller owns: replaced whole (never merged key by key), removed when dropped. */
  ownedPaths?: readonly string[];
}

/** One JSON Pointer reference token: `~` -> `~0`, `/` -> `~1` (RFC 6901; `~` first). */
export function escapePointerToken(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function diffObjects(
  original: Record<string, unknown>, mutated: Record<string, unknown>, pointer: string,
  owned: ReadonlySet<string>, operations: JsonPatchOperation[],
): void {
  for (const key of Object.keys(mutated)) {
    const value = mutated[key];
    if (value === undefined) continue;
    const before = Object.prototype.hasOwnProperty.call(original, key) ? original[key] : undefined;
    if (before === undefined) {
      operations.push({ op: 'add', path: `${pointer}/${escapePointerToken(key)}`, value });
    } else if (before === value) {
      continue;
    } else if (isPlainObject(before) && isPlainObject(value) && (owned.size === 0 || !owned.has(`${pointer}/${escapePointerToken(key)}`))) {
      diffObjects(before, value, `${pointer}/${escapePointerToken(key)}`, owned, operations);
    } else if (!jsonEqual(before, value)) {
      operations.push({ op: 'replace', path: `${pointer}/${escapePointerToken(key)}`, value });
    }
  }
  if (owned.size === 0) return;
  for (const key of Object.keys(original)) {
    const path = `${pointer}/${escapePointerToken(key)}`;
    if (owned.has(path) && original[key] !== undefined && mutated[key] === undefined) operations.push({ op: 'remove', path });
  }
}

/** The operations that turn `original` into `mutated`, under the rules above. */
export function createJsonPatch(original: Record<string, unknown>, mutated: Record<string, unknown>, options: JsonPatchOptions = {}): JsonPatchOperation[] {
  const operations: JsonPatchOperation[] = [];
  diffObjects(original, mutated, '', new Set(options.ownedPaths ?? []), operations);
  return operations;
}
