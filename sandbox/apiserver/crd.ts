/**
 * CustomResourceDefinitions: validation of the definition, serving its versions once stored, the
 * NamesAccepted/Established conditions, and cleanup of instances when the CRD is deleted.
 */
import type { ApiCore } from './core.js';
import { crdSchemaErrors } from './crd-structural.js';
import type { PrinterColumn, ResourceType } from './registry.js';
import { CUSTOM_VERBS, storageKey } from './registry.js';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject, nowTimestamp } from './types.js';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function specOf(crd: KubeObject): JsonObject {
  return isJsonObject(crd.spec) ? crd.spec : {};
}

export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = specOf(crd);
  const names = isJsonObject(spec.names) ? spec.names : {};
  const group = String(spec.group ?? '');
  if (crd.metadata.name !== `${String(names.plural ?? '')}.${group}`) errors.push(fieldError('FieldValueInvalid', 'metadata.name', 'must be spec.names.plural+"."+spec.group', crd.metadata.name));
  if (group === '') errors.push(fieldError('FieldValueRequired', 'spec.group', ''));
  if (!names.plural) errors.push(fieldError('FieldValueRequired', 'spec.names.plural', ''));
  if (!names.kind) errors.push(fieldError('FieldValueRequired', 'spec.names.kind', ''));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errors.push({ type: 'FieldValueNotSupported', field: 'spec.scope', message: `Unsupported value: ${JSON.stringify(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"` });
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  if (versions.length === 0) errors.push(fieldError('FieldValueInvalid', 'spec.versions', 'must have exactly one version marked as storage version', []));
  else if (versions.filter((v) => v.storage === true).length !== 1) errors.push(fieldError('FieldValueInvalid', 'spec.versions', 'must have exactly one version marked as storage version', versions.map((v) => v.name)));
  errors.push(...crdSchemaErrors(crd));
  return errors;
}

function printerColumns(version: JsonObject): PrinterColumn[] {
  const columns = Array.isArray(version.additionalPrinterColumns) ? version.additionalPrinterColumns.filter(isJsonObject) : [];
  return columns.map((c) => {
    const column: PrinterColumn = { name: String(c.name), type: String(c.type ?? 'string'), jsonPath: String(c.jsonPath ?? '') };
    if (typeof c.format === 'string') column.format = c.format;
    if (typeof c.description === 'string') column.description = c.description;
    if (typeof c.priority === 'number') column.priority = c.priority;
    return column;
  });
}

/** The resources a CRD serves, one per served version. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = specOf(crd);
  const names = isJsonObject(spec.names) ? spec.names : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  return versions
    .filter((v) => v.served !== false)
    .map((v) => {
      const subresources = isJsonObject(v.subresources) ? v.subresources : {};
      const scale = isJsonObject(subresources.scale) ? subresources.scale : undefined;
      const schema = isJsonObject(v.schema) && isJsonObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined;
      const selectable = Array.isArray(v.selectableFields) ? v.selectableFields.filter(isJsonObject).map((f) => String(f.jsonPath ?? '')) : [];
      const type: ResourceType = {
        group: String(spec.group),
        version: String(v.name),
        kind: String(names.kind),
        listKind: String(names.listKind ?? `${String(names.kind)}List`),
        plural: String(names.plural),
        singular: String(names.singular ?? String(names.kind).toLowerCase()),
        namespaced: spec.scope !== 'Cluster',
        shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
        categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
        verbs: CUSTOM_VERBS,
        status: isJsonObject(subresources.status),
        extraSubresources: [],
        hasGeneration: true,
        deleteReturnsObject: false,
        custom: { crdName: crd.metadata.name ?? '', schema, printerColumns: printerColumns(v), selectableFields: selectable },
      };
      if (scale) {
        type.scale = { specReplicasPath: String(scale.specReplicasPath ?? '.spec.replicas'), statusReplicasPath: String(scale.statusReplicasPath ?? '.status.replicas') };
        if (typeof scale.labelSelectorPath === 'string') type.scale.labelSelectorPath = scale.labelSelectorPath;
      }
      return type;
    });
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

/** Watches CRD writes: serves their resources, marks them Established, and cleans up on deletion. */
export function installCrdController(core: ApiCore): void {
  core.observers.push({
    afterWrite: (type, crd) => {
      if (storageKey(type) !== CRD_KEY) return;
      if (crd.metadata.deletionTimestamp) {
        setImmediate(() => cleanupCrd(core, crd.metadata.name ?? ''));
        return;
      }
      core.registry.setCustom(crd.metadata.name ?? '', crdResourceTypes(crd));
      setImmediate(() => establish(core, crd.metadata.name ?? ''));
    },
    afterDelete: (type, crd) => {
      if (storageKey(type) === CRD_KEY) core.registry.setCustom(crd.metadata.name ?? '', []);
    },
  });
}

function condition(type: string, reason: string, message: string, status = 'True'): JsonObject {
  return { type, status, lastTransitionTime: nowTimestamp(), reason, message };
}

function establish(core: ApiCore, name: string): void {
  const crd = core.store.get(CRD_KEY, undefined, name);
  if (!crd || crd.metadata.deletionTimestamp) return;
  const spec = specOf(crd);
  const names = isJsonObject(spec.names) ? deepClone(spec.names) : {};
  const status = isJsonObject(crd.status) ? crd.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  if (conditions.some((c) => c.type === 'Established' && c.status === 'True') && JSON.stringify(status.acceptedNames) === JSON.stringify(names)) return;
  const next = deepClone(crd);
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  const storage = versions.find((v) => v.storage === true)?.name;
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions.map(String) : [];
  if (storage && !stored.includes(String(storage))) stored.push(String(storage));
  // two writes, as the naming controller and then the establishing controller make them (golden 13's watch)
  const namesAccepted = conditions.some((c) => c.type === 'NamesAccepted' && c.status === 'True') && JSON.stringify(status.acceptedNames) === JSON.stringify(names);
  const established = namesAccepted
    ? condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted')
    : condition('Established', 'Installing', 'the initial names have been accepted', 'False');
  next.status = { conditions: [condition('NamesAccepted', 'NoConflicts', 'no conflicts found'), established], acceptedNames: names, storedVersions: stored };
  core.store.update(CRD_KEY, next);
  if (!namesAccepted) setImmediate(() => establish(core, name));
}

/** The condition kube-apiserver's CRD DELETE adds, before the finalizer controller starts on the instances. */
export function markCrdTerminating(crd: KubeObject): void {
  setTerminating(crd, 'InstanceDeletionPending', 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon');
}

function setTerminating(crd: KubeObject, reason: string, message: string): void {
  const status = isJsonObject(crd.status) ? crd.status : {};
  const conditions = (Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : []).filter((c) => c.type !== 'Terminating');
  crd.status = { ...status, conditions: [...conditions, condition('Terminating', reason, message)] };
}

function cleanupCrd(core: ApiCore, name: string): void {
  const crd = core.store.get(CRD_KEY, undefined, name);
  if (!crd) return;
  const terminating = isJsonObject(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions.filter(isJsonObject).find((c) => c.type === 'Terminating') : undefined;
  if (terminating?.reason !== 'InstanceDeletionInProgress') {
    // the finalizer controller announces its start in a write of its own (golden 32's watch)
    const next = deepClone(crd);
    setTerminating(next, 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
    core.store.update(CRD_KEY, next);
    setImmediate(() => cleanupCrd(core, name));
    return;
  }
  const types = crdResourceTypes(crd);
  const first = types[0];
  if (first) {
    for (const item of core.store.list(storageKey(first))) {
      if ((item.metadata.finalizers ?? []).length > 0) {
        // instances with finalizers block the CRD until their controllers let go
        if (!item.metadata.deletionTimestamp) {
          item.metadata.deletionTimestamp = nowTimestamp();
          item.metadata.deletionGracePeriodSeconds = 0;
          core.store.update(storageKey(first), item);
        }
        setTimeout(() => cleanupCrd(core, name), 200).unref();
        return;
      }
      core.store.delete(storageKey(first), item.metadata.namespace, item.metadata.name ?? '');
    }
  }
  const next = deepClone(crd);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
  if (next.metadata.finalizers.length === 0) {
    core.store.delete(CRD_KEY, undefined, name);
    core.registry.setCustom(name, []);
  } else core.store.update(CRD_KEY, next);
}
