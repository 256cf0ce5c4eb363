/**
 * Decoding checks for built-in kinds that kube-apiserver's typed decoder performs: unknown top-level and metadata
 * fields (Warning or, with fieldValidation=Strict, 400), and string-valued data maps.
 */
import { unknownCrdSchemaFields } from './crd-schema-decode.js';
import type { JsonObject } from './types.js';
import { isJsonObject } from './types.js';

const TOP_LEVEL: Record<string, string[]> = {
  '/ConfigMap': ['data', 'binaryData', 'immutable'],
  '/Secret': ['data', 'stringData', 'type', 'immutable'],
  '/Pod': ['spec', 'status'],
  '/Service': ['spec', 'status'],
  '/Namespace': ['spec', 'status'],
  '/Node': ['spec', 'status'],
  '/PersistentVolumeClaim': ['spec', 'status'],
  '/ServiceAccount': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  '/Endpoints': ['subsets'],
  '/Event': ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
  'apps/StatefulSet': ['spec', 'status'],
  'apps/Deployment': ['spec', 'status'],
  'rbac.authorization.k8s.io/Role': ['rules'],
  'rbac.authorization.k8s.io/ClusterRole': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/RoleBinding': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['subjects', 'roleRef'],
  'apps/ControllerRevision': ['data', 'revision'],
  'policy/PodDisruptionBudget': ['spec', 'status'],
  'networking.k8s.io/NetworkPolicy': ['spec'],
  'coordination.k8s.io/Lease': ['spec'],
  'discovery.k8s.io/EndpointSlice': ['addressType', 'endpoints', 'ports'],
  'events.k8s.io/Event': ['eventTime', 'series', 'reportingController', 'reportingInstance', 'action', 'reason', 'regarding', 'related', 'note', 'type', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount'],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': ['webhooks'],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': ['webhooks'],
  'apiextensions.k8s.io/CustomResourceDefinition': ['spec', 'status'],
  'authentication.k8s.io/SelfSubjectReview': ['status'],
};

const METADATA = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/** Paths of fields the typed decoder would not know (top level and metadata only). */
export function unknownBuiltinFields(group: string, kind: string, object: JsonObject): string[] {
  const known = TOP_LEVEL[`${group}/${kind}`];
  if (!known) return [];
  const unknown: string[] = [];
  for (const key of Object.keys(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    if (!known.includes(key)) unknown.push(key);
  }
  if (isJsonObject(object.metadata)) for (const key of Object.keys(object.metadata)) if (!METADATA.has(key)) unknown.push(`metadata.${key}`);
  unknown.sort();
  // schema keywords apiextensions/v1 does not know (`const`); normalizeCrdSchemas drops them before storage
  if (group === 'apiextensions.k8s.io' && kind === 'CustomResourceDefinition') unknown.push(...unknownCrdSchemaFields(object));
  return unknown;
}

export function removeFields(object: JsonObject, paths: string[]): void {
  for (const path of paths) {
    const [first, second] = path.split('.');
    if (second === undefined) delete object[first!];
    else if (isJsonObject(object[first!])) delete (object[first!] as JsonObject)[second];
  }
}

function jsonTypeName(value: unknown): string {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (isJsonObject(value)) return 'object';
  return typeof value;
}

/** Go's "cannot unmarshal X into Go struct field Kind.field of type string" for string maps. */
export function typeErrorOf(group: string, kind: string, object: JsonObject): string | undefined {
  if (group !== '' || (kind !== 'ConfigMap' && kind !== 'Secret')) return undefined;
  for (const field of kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData']) {
    const map = object[field];
    if (map === undefined || map === null) continue;
    if (!isJsonObject(map)) return `json: cannot unmarshal ${jsonTypeName(map)} into Go struct field ${kind}.${field} of type map[string]string`;
    for (const value of Object.values(map)) if (typeof value !== 'string') return `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${kind}.${field} of type string`;
  }
  return undefined;
}
