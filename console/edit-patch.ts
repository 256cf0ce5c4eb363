/**
 * Saving an edited store as `kubectl edit` does: a JSON merge patch (RFC 7386) of what the user changed (spec, labels,
 * annotations) against what they started from, not a replace carrying the resourceVersion they loaded. The reconciler
 * writes the store's status often (every pod that comes up, every failover), and each write moves the resourceVersion,
 * so a replace of a live store would conflict nearly every time; the patch only touches the fields the user changed.
 * Pure.
 */
import { isPlainObject, jsonEqual } from '../shared/json-value.js';

/** The merge patch that turns `from` into `to`: changed keys set, removed keys null. Lists are replaced whole. */
export function mergePatchOf(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (!(key in to)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (key in from && jsonEqual(from[key], value)) continue;
    patch[key] = key in from ? mergePatchOf(from[key], value) : value;
  }
  return patch;
}

/** What a user edits of a store: its spec, labels and annotations. */
export function editedParts(object: unknown): Record<string, unknown> {
  const source = isPlainObject(object) ? object : {};
  const metadata = isPlainObject(source.metadata) ? source.metadata : {};
  return {
    metadata: { labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} },
    spec: source.spec ?? {},
  };
}
