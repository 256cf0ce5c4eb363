/**
 * Bounds on the number of entries in every map and list of a store's spec, labels and annotations, checked before
 * defaulting and validation. A 150,000-key `spec.config` (a ~5 MB review, within the body limit) was admitted after
 * stalling the event loop for 0.7–1.35 s in schema validation, defaulting and patch building; refused here, it costs
 * one walk with no allocation beyond the key lists. Redis has about 200 configuration directives, so the bound is
 * generous for every real map and list.
 *
 * On UPDATE a field already over the bound may stay as large as it was (it was admitted before this check): only
 * growth is refused, so such a store can still be edited down and finalizers removed.
 */
import type { FieldError } from '../shared/validators.js';
import { isPlainObject } from '../shared/json-value.js';

export const MAX_COLLECTION_ENTRIES = 1024;

/** How deep the walk goes: spec fields nest a handful of levels (affinity terms are the deepest, ~8). */
const MAX_DEPTH = 32;


function entriesOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  return isPlainObject(value) ? Object.keys(value).length : 0;
}

function childAt(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value[Number(key)];
  return isPlainObject(value) ? value[key] : undefined;
}

function walk(value: unknown, old: unknown, path: string, depth: number, errors: FieldError[]): void {
  if (depth > MAX_DEPTH) {
    errors.push({ field: path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  const count = entriesOf(value);
  if (count > MAX_COLLECTION_ENTRIES && count > entriesOf(old)) {
    errors.push({ field: path, message: `has ${count} entries; at most ${MAX_COLLECTION_ENTRIES} are accepted` });
    return;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const item = value[index];
      if (item !== null && typeof item === 'object') walk(item, childAt(old, String(index)), `${path}[${index}]`, depth + 1, errors);
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== null && typeof item === 'object') walk(item, childAt(old, key), `${path}.${key}`, depth + 1, errors);
    }
  }
}

/** Every map or list of `object`'s spec, labels and annotations over the bound (growing past it, on UPDATE). */
export function checkCollectionSizes(object: Record<string, unknown>, oldObject: Record<string, unknown> | null | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  const oldMetadata = oldObject && isPlainObject(oldObject.metadata) ? oldObject.metadata : {};
  for (const field of ['labels', 'annotations'] as const) {
    walk(metadata[field], oldMetadata[field], `metadata.${field}`, 0, errors);
  }
  walk(object.spec, oldObject?.spec, 'spec', 0, errors);
  return errors;
}
