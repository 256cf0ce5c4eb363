/**
 * @kubernetes/client-node types rename a few JSON fields (`from` is `_from` in NetworkPolicy rules) and turn
 * timestamps into Date objects. Live objects arrive in either shape (typed from list/read calls, plain JSON from
 * watch events), so comparisons run on the wire (JSON) form, and objects handed to the client's serializer are put
 * in its typed form first: the serializer silently drops keys it does not know, and an ingress rule whose `from`
 * was dropped admits everyone.
 */

import { convertCrdSchemas } from './json-schema-wire-format.js';

// client-node property -> JSON field, for the kinds redwing writes.
const TYPED_TO_WIRE: Record<string, string> = { _from: 'from' };
const WIRE_TO_TYPED: Record<string, string> = Object.fromEntries(Object.entries(TYPED_TO_WIRE).map(([typed, wire]) => [wire, typed]));

function convert(value: unknown, renames: Record<string, string>, parentKey: string | undefined): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => convert(item, renames, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (child === undefined) continue;
    // Only rename inside NetworkPolicy rules (`ingress`/`egress` items); elsewhere `from` may be a plain key.
    const renamed = (parentKey === 'ingress' || parentKey === 'egress') && renames[key] ? renames[key]! : key;
    result[renamed] = convert(child, renames, key);
  }
  return result;
}

/** The object as JSON on the wire: client-node renames undone, Dates as RFC 3339 strings, undefined dropped. */
export function toWireObject<T>(object: T): T {
  return convertCrdSchemas(convert(object, TYPED_TO_WIRE, undefined) as T, 'toJson');
}

/** The object as @kubernetes/client-node's serializer expects it (`from` -> `_from`). */
export function toTypedObject<T>(object: T): T {
  return convertCrdSchemas(convert(object, WIRE_TO_TYPED, undefined) as T, 'toTyped');
}
