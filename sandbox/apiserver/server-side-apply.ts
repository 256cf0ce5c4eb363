/**
 * Server-side apply: merges an applied configuration into the live object, tracks ownership per field manager,
 * reports conflicts (409 with FieldManagerConflict causes) and removes fields a manager stopped applying.
 */
import type { FieldSet, FieldTypeInfo, ManagerSets } from './managed-fields.js';
import { SEP, appliedFieldSet, readManagers, renderPath, valueAt, writeManagers } from './managed-fields.js';
import { itemKey } from './list-keys.js';
import { ApiError } from './status-errors.js';
import { sortKeysDeep } from '../../shared/json-value.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject, jsonEqual, nowTimestamp } from './types.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CLIENT_SIDE_APPLY = 'kubectl-client-side-apply';

function lastAppliedFields(annotation: string, info: FieldTypeInfo): Set<string> {
  try {
    return appliedFieldSet(JSON.parse(annotation), info);
  } catch {
    return new Set();
  }
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  subresource?: string;
  info: FieldTypeInfo;
}

/** Merges `applied` into `live` (undefined on create). Returns the merged object with managedFields updated. */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, options: ApplyOptions): KubeObject {
  const { info } = options;
  const appliedSet = appliedFieldSet(applied, info);
  const managers = readManagers(live);
  const sameManager = (m: ManagerSets): boolean => m.entry.manager === options.manager && m.entry.operation === 'Apply' && (m.entry.subresource ?? '') === (options.subresource ?? '');
  const mine = managers.find(sameManager);

  // kubectl's upgrade from client-side to server-side apply: fields recorded in the last-applied annotation
  // change hands from the client-side-apply manager without a conflict (golden 33)
  const lastApplied = live?.metadata.annotations?.[LAST_APPLIED];
  const lastAppliedSet = lastApplied ? lastAppliedFields(lastApplied, info) : new Set<string>();
  const conflicts: { manager: ManagerSets; path: string }[] = [];
  for (const other of managers) {
    if (other === mine) continue;
    for (const path of appliedSet) {
      if (!other.set.has(path)) continue;
      if (other.entry.manager === CLIENT_SIDE_APPLY && other.entry.operation === 'Update' && lastAppliedSet.has(path)) {
        other.set.delete(path);
        continue;
      }
      const want = valueAt(applied, path, info);
      const have = valueAt(live, path, info);
      if (have.found && want.found && !jsonEqual(have.value, want.value) && !path.includes(`${SEP}v:`) && !path.split(SEP).pop()!.startsWith('k:')) {
        conflicts.push({ manager: other, path });
      }
    }
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);
  for (const c of conflicts) c.manager.set.delete(c.path);

  let result: KubeObject = live ? deepClone(live) : { metadata: {} };
  // fields this manager applied before and no longer applies, owned by nobody else, are removed
  if (mine) {
    const others = managers.filter((m) => m !== mine);
    const dropped = [...mine.set].filter((p) => !appliedSet.has(p) && !others.some((o) => o.set.has(p)));
    // ancestors first; a removed list item or field takes its descendants with it
    dropped.sort((a, b) => a.split(SEP).length - b.split(SEP).length);
    const removed: string[] = [];
    for (const path of dropped) {
      if (removed.some((r) => path.startsWith(`${r}${SEP}`))) continue;
      removePath(result, path, info);
      removed.push(path);
    }
  }
  result = mergeApplied(result, applied, [], info) as KubeObject;
  result.apiVersion = applied.apiVersion;
  result.kind = applied.kind;
  if (lastApplied !== undefined && result.metadata.annotations?.[LAST_APPLIED] !== undefined) {
    result.metadata.annotations[LAST_APPLIED] = `${JSON.stringify(sortKeysDeep(applied))}\n`;
  }

  const entry: ManagerSets = { entry: { manager: options.manager, operation: 'Apply', apiVersion: options.apiVersion, time: nowTimestamp(), ...(options.subresource ? { subresource: options.subresource } : {}) }, set: appliedSet };
  if (mine && jsonEqual([...mine.set].sort(), [...appliedSet].sort())) entry.entry.time = mine.entry.time ?? entry.entry.time;
  const next = managers.map((m) => (m === mine ? entry : m));
  if (!mine) next.push(entry);
  writeManagers(result, next);
  return result;
}

function conflictError(conflicts: { manager: ManagerSets; path: string }[]): ApiError {
  const who = (m: ManagerSets): string => {
    const sub = m.entry.subresource ? ` with subresource "${m.entry.subresource}"` : '';
    return m.entry.operation === 'Update' ? `conflict with "${m.entry.manager}"${sub} using ${m.entry.apiVersion}` : `conflict with "${m.entry.manager}"${sub}`;
  };
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: who(c.manager), field: renderPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of causes) byManager.set(c.message, [...(byManager.get(c.message) ?? []), c.field]);
    const parts = [...byManager].map(([m, fields]) => `${m.replace(/^conflict with/, 'conflicts with')}:\n${fields.map((f) => `- ${f}`).join('\n')}`);
    message = `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function mergeApplied(live: unknown, applied: unknown, namePath: string[], info: FieldTypeInfo): unknown {
  if (isJsonObject(applied)) {
    const out: JsonObject = isJsonObject(live) ? deepClone(live) : {};
    for (const [key, value] of Object.entries(applied)) {
      if (value === null || value === undefined) continue;
      out[key] = mergeApplied(out[key], value, [...namePath, key], info);
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const semantics = info.lists(namePath);
    const current = Array.isArray(live) ? live : [];
    if (semantics.type === 'set') {
      const out = [...current];
      for (const item of applied) if (!out.some((o) => jsonEqual(o, item))) out.push(item);
      return out;
    }
    if (semantics.type === 'map') {
      const out = current.map((i) => deepClone(i));
      for (const item of applied) {
        const key = itemKey(item, semantics.keys);
        const index = out.findIndex((o) => key !== undefined && jsonEqual(itemKey(o, semantics.keys), key));
        if (index >= 0) out[index] = mergeApplied(out[index], item, namePath, info);
        else out.push(deepClone(item));
      }
      return out;
    }
    return deepClone(applied);
  }
  return applied;
}

function removePath(object: KubeObject, path: string, info: FieldTypeInfo): void {
  const elements = path.split(SEP);
  let parent: unknown = object;
  const namePath: string[] = [];
  const chain: { holder: JsonObject; key: string }[] = [];
  for (let i = 0; i < elements.length - 1; i++) {
    const element = elements[i]!;
    if (element.startsWith('f:')) {
      if (!isJsonObject(parent)) return;
      namePath.push(element.slice(2));
      chain.push({ holder: parent, key: element.slice(2) });
      parent = parent[element.slice(2)];
    } else if (element.startsWith('k:')) {
      const semantics = info.lists(namePath);
      if (!Array.isArray(parent) || semantics.type !== 'map') return;
      const want = JSON.parse(element.slice(2));
      parent = parent.find((item) => jsonEqual(sortKeysDeep(itemKey(item, semantics.keys)), want));
    }
  }
  const last = elements[elements.length - 1]!;
  if (last.startsWith('f:') && isJsonObject(parent)) {
    delete parent[last.slice(2)];
  } else if (last.startsWith('k:') && Array.isArray(parent)) {
    const semantics = info.lists(namePath);
    if (semantics.type !== 'map') return;
    const want = JSON.parse(last.slice(2));
    const index = parent.findIndex((item) => jsonEqual(sortKeysDeep(itemKey(item, semantics.keys)), want));
    if (index >= 0) parent.splice(index, 1);
  } else if (last.startsWith('v:') && Array.isArray(parent)) {
    const want = JSON.parse(last.slice(2));
    const index = parent.findIndex((item) => jsonEqual(item, want));
    if (index >= 0) parent.splice(index, 1);
  }
  // parents left empty by the removal disappear; other empty objects (emptyDir: {}) are untouched
  for (let i = chain.length - 1; i >= 0; i--) {
    const { holder, key } = chain[i]!;
    const value = holder[key];
    const empty = (isJsonObject(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0);
    if (!empty || (holder === object && key === 'metadata')) break;
    delete holder[key];
  }
}

export type { FieldSet };
