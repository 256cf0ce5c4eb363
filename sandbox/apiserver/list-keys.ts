/**
 * How lists merge, per field path: keyed by fields ("map"), as a set, or replaced whole ("atomic").
 * Built-in kinds follow the Go types' patchMergeKey / listMapKey tags for the fields we use;
 * custom resources follow x-kubernetes-list-type and x-kubernetes-list-map-keys in their schema.
 */
import type { JsonObject } from './types.js';
import { isJsonObject } from './types.js';

export type ListSemantics = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** Describes list semantics for one kind. `path` is the field path with list positions removed. */
export type ListSemanticsFn = (path: string[]) => ListSemantics;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

function builtinRule(kind: string, path: string[]): ListSemantics {
  const last = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  if (path.length === 2 && path[0] === 'metadata') {
    if (last === 'ownerReferences') return { type: 'map', keys: ['uid'] };
    if (last === 'finalizers') return { type: 'set' };
    return { type: 'atomic' };
  }
  if (CONTAINER_LISTS.has(last)) return { type: 'map', keys: ['name'] };
  // webhook configurations merge their webhooks by name (caBundle injection patches one webhook)
  if (path.length === 1 && last === 'webhooks' && kind.endsWith('WebhookConfiguration')) return { type: 'map', keys: ['name'] };
  if (CONTAINER_LISTS.has(parent)) {
    if (last === 'env') return { type: 'map', keys: ['name'] };
    if (last === 'ports') return { type: 'map', keys: ['containerPort', 'protocol'] };
    if (last === 'volumeMounts') return { type: 'map', keys: ['mountPath'] };
    if (last === 'volumeDevices') return { type: 'map', keys: ['devicePath'] };
    if (last === 'resizePolicy') return { type: 'map', keys: ['resourceName'] };
    return { type: 'atomic' };
  }
  if (parent === 'spec' || parent === 'template') {
    if (last === 'volumes' || last === 'imagePullSecrets' || last === 'resourceClaims' || last === 'schedulingGates') return { type: 'map', keys: ['name'] };
    if (last === 'hostAliases') return { type: 'map', keys: ['ip'] };
    if (last === 'topologySpreadConstraints') return { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] };
    if (last === 'ports' && kind === 'Service') return { type: 'map', keys: ['port', 'protocol'] };
  }
  if (last === 'conditions') return { type: 'map', keys: ['type'] };
  if (kind === 'Node' && last === 'addresses') return { type: 'map', keys: ['type'] };
  if (kind === 'Service' && (last === 'clusterIPs' || last === 'ipFamilies')) return { type: 'atomic' };
  return { type: 'atomic' };
}

/** Walks a structural schema along a path (list positions already removed). */
function schemaAt(schema: JsonObject | undefined, path: string[]): JsonObject | undefined {
  let node: JsonObject | undefined = schema;
  for (const part of path) {
    if (!node) return undefined;
    if (node.type === 'array' && isJsonObject(node.items)) node = node.items;
    const props = isJsonObject(node.properties) ? node.properties : undefined;
    if (props && isJsonObject(props[part])) node = props[part];
    else if (isJsonObject(node.additionalProperties)) node = node.additionalProperties;
    else return undefined;
  }
  return node;
}

export function listSemanticsFor(kind: string, schema: JsonObject | undefined): ListSemanticsFn {
  return (path) => {
    if (path[0] === 'metadata' || schema === undefined) return builtinRule(kind, path);
    const node = schemaAt(schema, path);
    const listType = node?.['x-kubernetes-list-type'];
    if (listType === 'map' && Array.isArray(node?.['x-kubernetes-list-map-keys'])) return { type: 'map', keys: (node!['x-kubernetes-list-map-keys'] as unknown[]).map(String) };
    if (listType === 'set') return { type: 'set' };
    return { type: 'atomic' };
  };
}

/** Whether an object node at `path` is a map (map[string]T) rather than a struct, for FieldsV1 "." markers. */
export function isMapNode(path: string[], schema: JsonObject | undefined): boolean {
  const last = path[path.length - 1] ?? '';
  if (['labels', 'annotations', 'data', 'binaryData', 'stringData', 'nodeSelector', 'matchLabels', 'limits', 'requests', 'capacity', 'allocatable'].includes(last)) return true;
  if (path.length === 2 && path[0] === 'spec' && last === 'selector') return true;
  if (schema !== undefined && path[0] !== 'metadata') {
    const node = schemaAt(schema, path);
    return (node !== undefined && isJsonObject(node.additionalProperties)) || underUnknownFields(schema, path);
  }
  return false;
}

/** Whether `path` lies inside an `x-kubernetes-preserve-unknown-fields` object, where every object is a map. */
function underUnknownFields(schema: JsonObject, path: string[]): boolean {
  let node: JsonObject | undefined = schema;
  for (const part of path) {
    if (!node) return false;
    if (node.type === 'array' && isJsonObject(node.items)) node = node.items;
    const props: JsonObject | undefined = isJsonObject(node.properties) ? node.properties : undefined;
    if (props && isJsonObject(props[part])) node = props[part];
    else if (isJsonObject(node.additionalProperties)) node = node.additionalProperties;
    else return node['x-kubernetes-preserve-unknown-fields'] === true;
  }
  return node?.['x-kubernetes-preserve-unknown-fields'] === true && !isJsonObject(node.properties);
}

/** The key object identifying a keyed list item. */
export function itemKey(item: unknown, keys: string[]): JsonObject | undefined {
  if (!isJsonObject(item)) return undefined;
  const out: JsonObject = {};
  for (const k of keys) {
    // protocol defaults to TCP in ports lists keyed by (port, protocol)
    if (item[k] === undefined && k === 'protocol') out[k] = 'TCP';
    else if (item[k] !== undefined) out[k] = item[k];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
