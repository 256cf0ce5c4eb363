/**
 * Field ownership (metadata.managedFields, FieldsV1) for Update and Apply operations.
 * A field set is a Set of path strings; each path element is a FieldsV1 key: `f:name`, `k:{"name":"x"}`, `v:"value"`.
 */
import type { ListSemanticsFn } from './list-keys.js';
import { isPointerStruct } from './go-field-order.js';
import { isMapNode, itemKey } from './list-keys.js';
import { sortKeysDeep } from '../../shared/json-value.js';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from './types.js';
import { isJsonObject, jsonEqual, nowTimestamp } from './types.js';

export const SEP = '\u0000';
export type FieldSet = Set<string>;

export interface FieldTypeInfo {
  lists: ListSemanticsFn;
  schema: JsonObject | undefined;
  builtin: boolean;
  /** The kind has a status subresource: writes to the main resource never own status fields (reset fields). */
  statusSubresource?: boolean;
  /** The Go type of a built-in kind (go-field-order.ts), to tell pointer structs from value structs. */
  goType?: string;
}

/**
 * Built-in fields owned whole: selectors (LabelSelector is `structType=atomic`, Service's selector
 * `mapType=atomic`), object references and key selectors (ObjectReference, ObjectFieldSelector,
 * ConfigMapKeySelector… are `structType=atomic`).
 */
/** Top-level fields holding a runtime.RawExtension, owned whole (a ControllerRevision's `data`, golden 25). */
const RAW_EXTENSION_FIELDS: Record<string, string> = { ControllerRevision: 'data' };

const ATOMIC_BUILTIN_FIELDS = new Set([
  'selector', 'labelSelector', 'namespaceSelector', 'objectSelector', 'podSelector',
  'involvedObject', 'regarding', 'related', 'targetRef', 'fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef',
]);

/** metadata fields never tracked as owned */
const IGNORED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

export interface FieldNode {
  /** path elements (FieldsV1 keys) */
  path: string[];
  /** schema-ish path of field names, list positions removed */
  namePath: string[];
  value: unknown;
  isLeaf: boolean;
  isListItem: boolean;
}

/** Visits every field of an object with its FieldsV1 path. */
export function walkFields(object: unknown, info: FieldTypeInfo, visit: (node: FieldNode) => void): void {
  const recurse = (value: unknown, path: string[], namePath: string[], isListItem: boolean): void => {
    // an empty map of a built-in is omitted from its JSON (omitempty), so it is no field of the typed object
    if (info.builtin && !isListItem && isJsonObject(value) && Object.keys(value).length === 0 && isMapNode(namePath, info.schema)) return;
    if (isJsonObject(value) && Object.keys(value).length > 0) {
      if (path.length > 0) visit({ path, namePath, value, isLeaf: false, isListItem });
      for (const [key, child] of Object.entries(value)) {
        if (child === undefined) continue;
        if (path.length === 0 && (key === 'apiVersion' || key === 'kind')) continue;
        if (path.length === 1 && path[0] === 'f:metadata' && IGNORED_METADATA.has(key)) continue;
        const raw = path.length === 0 && info.goType !== undefined && RAW_EXTENSION_FIELDS[info.goType] === key;
        if ((info.builtin && ATOMIC_BUILTIN_FIELDS.has(key) && isJsonObject(child)) || raw) {
          visit({ path: [...path, `f:${key}`], namePath: [...namePath, key], value: child, isLeaf: true, isListItem: false });
          continue;
        }
        recurse(child, [...path, `f:${key}`], [...namePath, key], false);
      }
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const semantics = info.lists(namePath);
      if (semantics.type === 'map') {
        visit({ path, namePath, value, isLeaf: false, isListItem });
        // an OwnerReference is `structType=atomic`: each item is owned whole (golden 25)
        const atomicItems = namePath.length === 2 && namePath[0] === 'metadata' && namePath[1] === 'ownerReferences';
        for (const item of value) {
          const key = itemKey(item, semantics.keys);
          if (!key) continue;
          const itemPath = [...path, `k:${JSON.stringify(sortKeysDeep(key))}`];
          if (atomicItems) visit({ path: itemPath, namePath, value: item, isLeaf: true, isListItem: true });
          else recurse(item, itemPath, namePath, true);
        }
        return;
      }
      if (semantics.type === 'set') {
        visit({ path, namePath, value, isLeaf: false, isListItem });
        for (const item of value) visit({ path: [...path, `v:${JSON.stringify(item)}`], namePath, value: item, isLeaf: true, isListItem: true });
        return;
      }
    }
    if (path.length > 0) visit({ path, namePath, value, isLeaf: true, isListItem });
  };
  recurse(object, [], [], false);
}

/** Fields set by an applied configuration: leaves, list items, and entries of maps (not struct fields). */
export function appliedFieldSet(object: unknown, info: FieldTypeInfo): FieldSet {
  const set: FieldSet = new Set();
  walkFields(object, info, (n) => {
    const mapEntry = n.path.length > 1 && !n.path[n.path.length - 1]!.startsWith('k:') && isMapNode(n.namePath.slice(0, -1), info.schema);
    if (n.isLeaf || n.isListItem || mapEntry) set.add(n.path.join(SEP));
  });
  return set;
}

/** Every field of an object, containers included, with their values. */
function fieldMap(object: unknown, info: FieldTypeInfo): Map<string, FieldNode> {
  const map = new Map<string, FieldNode>();
  walkFields(object, info, (n) => map.set(n.path.join(SEP), n));
  return map;
}

/** Whether a container node counts as a member in its own right (renders ".") for an Update manager. */
function containerIsMember(n: FieldNode, info: FieldTypeInfo): boolean {
  if (n.isListItem) return true;
  if (n.path.length === 1 && (n.path[0] === 'f:metadata' || (info.builtin && (n.path[0] === 'f:spec' || n.path[0] === 'f:status')))) return false;
  // a built-in's top-level keyed list (a webhook configuration's webhooks) is omitempty: absent from the zero value
  if (info.builtin && n.path.length === 1 && info.lists(n.namePath).type === 'map') return true;
  if (!info.builtin) return true;
  // a new keyed or set list, a new map and a new pointer struct are owned themselves; a struct held by value is not
  // (a list without omitempty, such as a pod's containers, always exists, like a value struct)
  if (Array.isArray(n.value)) return info.goType === undefined || isPointerStruct(info.goType, n.namePath) !== false;
  if (isMapNode(n.namePath, info.schema)) return true;
  return info.goType !== undefined && isPointerStruct(info.goType, n.namePath) === true;
}

/**
 * Whether a node lies inside a list item the update adds. kube-apiserver diffs a built-in against its Go zero value
 * (or the old object), so every container inside a new item is new, and is a member (golden 21, 27).
 */
function insideNewListItem(path: string[], before: Map<string, FieldNode>): boolean {
  for (let i = 0; i < path.length - 1; i++) {
    if (path[i]!.startsWith('k:') && !before.has(path.slice(0, i + 1).join(SEP))) return true;
  }
  return false;
}

export interface UpdateDiff {
  changed: FieldSet;
  removed: FieldSet;
}

/** Fields an update sets (new or changed leaves, new containers) and removes. */
export function diffFields(oldObject: unknown, newObject: unknown, info: FieldTypeInfo): UpdateDiff {
  const before = fieldMap(oldObject ?? {}, info);
  const after = fieldMap(newObject, info);
  const changed: FieldSet = new Set();
  const removed: FieldSet = new Set();
  for (const [path, node] of after) {
    const old = before.get(path);
    if (node.isLeaf) {
      if (!old || !old.isLeaf || !jsonEqual(old.value, node.value)) changed.add(path);
    } else if (!old && (containerIsMember(node, info) || (info.builtin && insideNewListItem(node.path, before)))) changed.add(path);
  }
  for (const path of before.keys()) if (!after.has(path)) removed.add(path);
  return { changed, removed };
}

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  const paths = [...set].map((p) => p.split(SEP));
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      if (!isJsonObject(node[element])) node[element] = {};
      node = node[element] as JsonObject;
    }
  }
  for (const path of paths) {
    let node = root;
    for (const element of path) node = node[element] as JsonObject;
    if (Object.keys(node).length > 0) node['.'] = {};
  }
  return sortKeysDeep(root) as JsonObject;
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const set: FieldSet = new Set();
  const recurse = (node: unknown, path: string[]): void => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) set.add(path.join(SEP));
    for (const key of keys) if (key !== '.') recurse(node[key], [...path, key]);
  };
  recurse(tree, []);
  return set;
}

export interface ManagerSets {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

export function readManagers(object: KubeObject | undefined): ManagerSets[] {
  const entries = object?.metadata.managedFields ?? [];
  return entries.filter((e) => isJsonObject(e) && e.manager !== undefined).map((entry) => ({ entry, set: fromFieldsV1(entry.fieldsV1) }));
}

/** kube-apiserver's order of managedFields entries: by operation (Apply first), then time in seconds, manager, subresource. */
function compareEntries(a: ManagedFieldsEntry, b: ManagedFieldsEntry): number {
  const seconds = (e: ManagedFieldsEntry) => (e.time ? Math.floor(Date.parse(e.time) / 1000) : 0);
  const byBytes = (x = '', y = '') => (x < y ? -1 : x > y ? 1 : 0);
  return byBytes(a.operation, b.operation) || seconds(a) - seconds(b) || byBytes(a.manager, b.manager) || byBytes(a.subresource, b.subresource);
}

export function writeManagers(object: KubeObject, managers: ManagerSets[]): void {
  const entries = managers
    .filter((m) => m.set.size > 0)
    .sort((a, b) => compareEntries(a.entry, b.entry))
    .map((m) => {
      const entry: ManagedFieldsEntry = { manager: m.entry.manager, operation: m.entry.operation, apiVersion: m.entry.apiVersion, time: m.entry.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(m.set) };
      if (m.entry.subresource) entry.subresource = m.entry.subresource;
      return entry;
    });
  if (entries.length > 0) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
}

function sameEntry(a: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined): boolean {
  return a.manager === manager && a.operation === operation && (a.subresource ?? '') === (subresource ?? '');
}

/** Records an Update by `manager`: it gains the changed fields, everyone loses the changed and removed ones. */
export function recordUpdate(oldObject: KubeObject | undefined, newObject: KubeObject, manager: string, apiVersion: string, subresource: string | undefined, info: FieldTypeInfo, notOwned: FieldSet = new Set()): void {
  const { changed, removed } = diffFields(oldObject, newObject, info);
  for (const path of notOwned) changed.delete(path);
  if (info.statusSubresource && subresource === undefined) {
    for (const path of changed) if (path === 'f:status' || path.startsWith(`f:status${SEP}`)) changed.delete(path);
  }
  const managers = readManagers(newObject);
  let mine = managers.find((m) => sameEntry(m.entry, manager, 'Update', subresource));
  for (const m of managers) {
    if (m === mine) continue;
    for (const p of changed) m.set.delete(p);
    for (const p of removed) m.set.delete(p);
  }
  // kube-apiserver's scale handler rebuilds the entries with the parent's times, which never hold one for a /scale
  // manager: its entry has no time (golden 29 #21)
  const stamp = (): string | undefined => (subresource === 'scale' ? undefined : nowTimestamp());
  if (changed.size > 0 || mine) {
    if (!mine) {
      mine = { entry: { manager, operation: 'Update', apiVersion, time: stamp(), ...(subresource ? { subresource } : {}) }, set: new Set() };
      managers.push(mine);
    }
    for (const p of removed) mine.set.delete(p);
    if (changed.size > 0) {
      for (const p of changed) mine.set.add(p);
      mine.entry.time = stamp();
      mine.entry.apiVersion = apiVersion;
    }
  }
  writeManagers(newObject, managers);
}

/** `.data.a` or `.spec.containers[name="x"].image` for conflict messages. */
export function renderPath(path: string): string {
  return path
    .split(SEP)
    .map((element) => {
      if (element.startsWith('f:')) return `.${element.slice(2)}`;
      if (element.startsWith('k:')) {
        const key = JSON.parse(element.slice(2)) as JsonObject;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (element.startsWith('v:')) return `[${element.slice(2)}]`;
      return element;
    })
    .join('');
}

/** Reads the value at a FieldsV1 path. */
export function valueAt(object: unknown, path: string, info: FieldTypeInfo): { found: boolean; value?: unknown } {
  let current: unknown = object;
  const namePath: string[] = [];
  for (const element of path.split(SEP)) {
    if (element.startsWith('f:')) {
      const key = element.slice(2);
      if (!isJsonObject(current) || !(key in current)) return { found: false };
      current = current[key];
      namePath.push(key);
    } else if (element.startsWith('k:')) {
      const want = JSON.parse(element.slice(2)) as JsonObject;
      const semantics = info.lists(namePath);
      if (!Array.isArray(current) || semantics.type !== 'map') return { found: false };
      current = current.find((item) => jsonEqual(sortKeysDeep(itemKey(item, semantics.keys)), want));
      if (current === undefined) return { found: false };
    } else if (element.startsWith('v:')) {
      const want = JSON.parse(element.slice(2));
      if (!Array.isArray(current) || !current.some((i) => jsonEqual(i, want))) return { found: false };
      current = want;
    }
  }
  return { found: true, value: current };
}
