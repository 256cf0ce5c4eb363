/**
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, with kube-apiserver's error wording.
 */
import fastJsonPatch from 'fast-json-patch';
import type { ListSemanticsFn } from './list-keys.js';
import { ApiError, badRequest } from './status-errors.js';
import type { JsonObject } from './types.js';
import { deepClone, isJsonObject, jsonEqual } from './types.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return deepClone(patch);
  const result: JsonObject = isJsonObject(target) ? deepClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

const GENERIC_422 = 'the server rejected our request due to an error in our request';

/** JSON patch; a failing `test` or a `remove` of a missing path is 422 with a generic message (golden 05). */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  const doc = deepClone(target);
  const ops = patch.map((op) => {
    // kube-apiserver's json-patch library turns `replace` of a missing key into an add
    if (isJsonObject(op) && op.op === 'replace' && typeof op.path === 'string') {
      try {
        fastJsonPatch.getValueByPointer(doc, op.path);
        const parentPath = op.path.slice(0, op.path.lastIndexOf('/'));
        const parent = parentPath === '' ? doc : fastJsonPatch.getValueByPointer(doc, parentPath);
        // only a missing last key is added; a missing parent still fails
        const last = decodeURIComponent(op.path.slice(op.path.lastIndexOf('/') + 1)).replace(/~1/g, '/').replace(/~0/g, '~');
        if (isJsonObject(parent) && !(last in parent)) return { ...op, op: 'add' };
      } catch {
        return op;
      }
    }
    return op;
  });
  try {
    const result = fastJsonPatch.applyPatch(doc, ops as fastJsonPatch.Operation[], true, true, true);
    return result.newDocument;
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'TEST_OPERATION_FAILED' || name === 'OPERATION_PATH_UNRESOLVABLE' || name === 'OPERATION_PATH_CANNOT_ADD' || name === 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX' || name === 'OPERATION_VALUE_OUT_OF_BOUNDS') {
      throw new ApiError(422, 'Invalid', GENERIC_422, {});
    }
    throw new ApiError(422, 'Invalid', GENERIC_422, {});
  }
}

/**
 * Strategic merge patch for built-in kinds: keyed lists merge by their merge key, `$patch: delete|replace`,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` directives.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, lists: ListSemanticsFn): unknown {
  if (!isJsonObject(patch)) throw badRequest('the body of the patch must be a JSON object');
  return smpObject(isJsonObject(target) ? target : {}, patch, [], lists);
}

function smpObject(target: JsonObject, patch: JsonObject, path: string[], lists: ListSemanticsFn): JsonObject {
  if (patch.$patch === 'replace') {
    const copy = deepClone(patch);
    delete copy.$patch;
    return copy;
  }
  let result = deepClone(target);
  if (patch.$retainKeys !== undefined) {
    if (!Array.isArray(patch.$retainKeys)) throw badRequest('invalid patch format of retainKeys');
    const keep = new Set(patch.$retainKeys.map(String));
    for (const key of Object.keys(patch)) if (!key.startsWith('$') && !keep.has(key)) throw badRequest('invalid patch format of retainKeys');
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const remove = Array.isArray(value) ? value : [];
      if (Array.isArray(result[field])) result[field] = (result[field] as unknown[]).filter((v) => !remove.some((r) => jsonEqual(r, v)));
      continue;
    }
    const childPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      if (value.$patch === 'delete') delete result[key];
      else result[key] = smpObject(isJsonObject(result[key]) ? (result[key] as JsonObject) : {}, value, childPath, lists);
    } else if (Array.isArray(value)) {
      result[key] = smpList(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, childPath, lists);
    } else {
      result[key] = value;
    }
  }
  if (patch.$patch === 'delete') result = {};
  return result;
}

function smpList(target: unknown[], patch: unknown[], path: string[], lists: ListSemanticsFn): unknown[] {
  const semantics = lists(path);
  if (patch.some((item) => isJsonObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isJsonObject(item) && item.$patch === 'replace'));
  }
  if (semantics.type === 'set') {
    const out = [...target];
    for (const item of patch) if (!out.some((o) => jsonEqual(o, item))) out.push(item);
    return out;
  }
  if (semantics.type !== 'map') return deepClone(patch);
  const mergeKey = semantics.keys[0]!;
  const out = target.map((item) => deepClone(item));
  for (const item of patch) {
    if (!isJsonObject(item)) continue;
    const index = out.findIndex((o) => isJsonObject(o) && jsonEqual(o[mergeKey], item[mergeKey]));
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = smpObject(out[index] as JsonObject, item, path, lists);
    else {
      const copy = deepClone(item);
      delete copy.$patch;
      out.push(copy);
    }
  }
  return out;
}
