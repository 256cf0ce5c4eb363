/**
 * Whether a server-side apply would change anything: every field the desired object sets must already hold that
 * value in the live object (fields the server defaulted or other managers set are ignored), and no field our field
 * manager applied before may have disappeared from the desired object (SSA would remove it from the live one, e.g. a
 * pod label the user dropped from podMetadata).
 */
import { isPlainObject, jsonEqual } from '../../shared/json-value.js';
import { parseQuantity } from '../../shared/quantity.js';
import { toWireObject } from './wire-format.js';

export const FIELD_MANAGER = 'redwing';

type Plain = Record<string, unknown>;

// Quantities the API server may rewrite to canonical form (`0.5` -> `500m`, `1024Mi` -> `1Gi`).
const QUANTITY_PATH = /\.(requests|limits|capacity|hard)\.[^.[\]]+$|\.sizeLimit$/;

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  return value === false || value === 0 || value === '';
}

function sameQuantity(a: unknown, b: unknown): boolean {
  try {
    return (typeof a === 'string' || typeof a === 'number') && (typeof b === 'string' || typeof b === 'number')
      && parseQuantity(a) === parseQuantity(b);
  } catch {
    return false;
  }
}

/** The first path where `live` does not hold what `desired` sets, or undefined when it holds all of it. */
export function findDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  if (desired === undefined) return undefined;
  // The API server omits empty maps, empty lists and zero values (omitempty), so those equal an absent field.
  if (live === undefined || live === null) return desired === null || isEmpty(desired) ? undefined : path || '.';
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return path;
    for (let i = 0; i < desired.length; i++) {
      const difference = findDifference(desired[i], live[i], `${path}[${i}]`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return path;
    for (const [key, value] of Object.entries(desired)) {
      const difference = findDifference(value, live[key], `${path}.${key}`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (desired === live) return undefined;
  if (QUANTITY_PATH.test(path) && sameQuantity(desired, live)) return undefined;
  return path;
}

function matchesKey(item: unknown, key: Plain): boolean {
  if (!isPlainObject(item)) return false;
  return Object.entries(key).every(([name, value]) => jsonEqual(item[name], value));
}

/**
 * The first field in a managedFields `fieldsV1` set that `value` no longer has, or undefined. Understands the
 * fieldsV1 grammar: `f:<name>` fields, `k:<json>` list items by key, `v:<json>` set values, `i:<n>` indexes, `.` self.
 */
export function findDroppedField(fields: unknown, value: unknown, path = ''): string | undefined {
  if (!isPlainObject(fields)) return undefined;
  for (const [entry, children] of Object.entries(fields)) {
    if (entry === '.') continue;
    let child: unknown;
    if (entry.startsWith('f:')) {
      child = isPlainObject(value) ? value[entry.slice(2)] : undefined;
    } else if (entry.startsWith('k:')) {
      let key: unknown;
      try { key = JSON.parse(entry.slice(2)); } catch { continue; }
      child = Array.isArray(value) && isPlainObject(key) ? value.find((item) => matchesKey(item, key)) : undefined;
    } else if (entry.startsWith('v:')) {
      let wanted: unknown;
      try { wanted = JSON.parse(entry.slice(2)); } catch { continue; }
      child = Array.isArray(value) ? value.find((item) => jsonEqual(item, wanted)) : undefined;
    } else if (entry.startsWith('i:')) {
      child = Array.isArray(value) ? value[Number(entry.slice(2))] : undefined;
    } else {
      continue;
    }
    const childPath = `${path}/${entry}`;
    if (child === undefined) return childPath;
    const deeper = findDroppedField(children, child, childPath);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/** Why an apply is needed (a path), or undefined when the live object already matches. */
export function explainApplyNeed(desired: object, live: object | undefined, fieldManager = FIELD_MANAGER): string | undefined {
  if (live === undefined) return 'the object does not exist';
  const want = toWireObject(desired) as Plain;
  const have = toWireObject(live) as Plain;
  const difference = findDifference(want, have);
  if (difference !== undefined) return `${difference} differs`;
  const metadata = isPlainObject(have.metadata) ? have.metadata : {};
  const managed = Array.isArray(metadata.managedFields) ? (metadata.managedFields as ManagedFieldsEntry[]) : [];
  for (const entry of managed) {
    if (entry.manager !== fieldManager || entry.operation !== 'Apply' || entry.subresource) continue;
    const dropped = findDroppedField(entry.fieldsV1, want);
    if (dropped !== undefined) return `${dropped} is no longer set`;
  }
  return undefined;
}

/** True when server-side applying `desired` would change the live object (or create it). */
export function needsApply(desired: object, live: object | undefined, fieldManager = FIELD_MANAGER): boolean {
  return explainApplyNeed(desired, live, fieldManager) !== undefined;
}
