/**
 * The path every write takes, in kube-apiserver's order: strategy (system metadata, status/spec split),
 * defaulting, field ownership, mutating admission, validation, validating admission, storage.
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { recordUpdate, SEP, type FieldSet } from './managed-fields.js';
import { finalizerWarnings, validateMetadata } from './object-meta.js';
import { apiVersionOf, storageKey, type ResourceType } from './registry.js';
import { alreadyExists, conflict, fieldError, forbidden, invalid, notFound, plainServerError } from './status-errors.js';
import type { KubeObject } from './types.js';
import { deepClone, isJsonObject, jsonEqual, nowTimestamp } from './types.js';
import { newUid } from './object-meta.js';

export type Operation = 'CREATE' | 'UPDATE';

/** What a write verb answers: the HTTP status and the object (stored, or as it would be under dryRun). */
export interface WriteResult {
  status: number;
  body: KubeObject;
}

export interface WriteRequest {
  ctx: RequestContext;
  operation: Operation;
  object: KubeObject;
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  fieldManager: string;
  /** skip Update ownership tracking (server-side apply has done its own) */
  applied: boolean;
  /** options object shown to admission webhooks */
  options: Record<string, unknown>;
  /** admission sees this object instead (a Scale for /scale) */
  admissionView?: { object: KubeObject; oldObject: KubeObject | undefined; kind: { group: string; version: string; kind: string } };
}

/** Fields other than metadata and status: a change there moves metadata.generation. */
function specPart(object: KubeObject | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object ?? {})) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') out[k] = v;
  return out;
}

function withoutVolatile(object: KubeObject): KubeObject {
  const copy = deepClone(object);
  delete copy.metadata.resourceVersion;
  copy.metadata.managedFields = (copy.metadata.managedFields ?? []).map((m) => ({ ...m, time: undefined }));
  return copy;
}

/** System metadata and the status/spec split of the status subresource. */
export function applyStrategy(core: ApiCore, req: WriteRequest): void {
  const { ctx, object, oldObject } = req;
  const { type } = ctx;
  object.apiVersion = apiVersionOf(type);
  object.kind = type.kind;
  if (type.namespaced) object.metadata.namespace = ctx.namespace;
  else delete object.metadata.namespace;
  if (req.operation === 'CREATE') {
    object.metadata.uid = newUid();
    object.metadata.creationTimestamp = nowTimestamp();
    delete object.metadata.deletionTimestamp;
    delete object.metadata.deletionGracePeriodSeconds;
    if (type.hasGeneration || type.custom) object.metadata.generation = 1;
    else delete object.metadata.generation;
    if (type.status && ctx.subresource === undefined) core.defaults.resetStatusOnCreate(type, object);
    return;
  }
  const old = oldObject!;
  const meta = object.metadata;
  rejectForeignUid(req, old);
  meta.uid = old.metadata.uid;
  meta.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete meta.deletionTimestamp;
  if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  else delete meta.deletionGracePeriodSeconds;
  if (old.metadata.generateName !== undefined && meta.generateName === undefined) meta.generateName = old.metadata.generateName;
  if (meta.managedFields === undefined && old.metadata.managedFields) meta.managedFields = deepClone(old.metadata.managedFields);
  else if (Array.isArray(meta.managedFields) && meta.managedFields.length === 1 && Object.keys(meta.managedFields[0] ?? {}).length === 0) delete meta.managedFields;
  if (ctx.subresource === 'status') {
    // through /status only the status changes
    const status = object.status;
    const next = deepClone(old);
    if (status === undefined) delete next.status;
    else next.status = status;
    next.metadata.resourceVersion = meta.resourceVersion;
    next.metadata.managedFields = meta.managedFields;
    for (const key of Object.keys(object)) delete object[key];
    Object.assign(object, next);
  } else if (type.status) {
    if (old.status === undefined) delete object.status;
    else object.status = deepClone(old.status);
  }
}

/**
 * generation moves when the spec changed, compared after defaulting: a patch that removes a defaulted field and
 * gets it back from the defaults changes nothing (golden 14 #14).
 */
function setGeneration(req: WriteRequest): void {
  const { ctx, object, oldObject: old } = req;
  const { type } = ctx;
  if (req.operation !== 'UPDATE' || !old || !(type.hasGeneration || type.custom)) return;
  const generation = old.metadata.generation ?? 1;
  const specChanged = !jsonEqual(specPart(object), specPart(old)) || (!type.status && !jsonEqual(object.status, old.status));
  object.metadata.generation = specChanged && ctx.subresource !== 'status' ? generation + 1 : generation;
}

/**
 * A body that names another object's uid (the one deleted and re-created under the same name, say) must not
 * overwrite this one. A PUT carries its uid as a storage precondition, so kube-apiserver answers 409 with the
 * storage error; a patch has no precondition and fails metadata validation instead (uid is immutable).
 */
function rejectForeignUid(req: WriteRequest, old: KubeObject): void {
  const requested = req.object.metadata.uid;
  const stored = old.metadata.uid;
  if (typeof requested !== 'string' || requested === '' || requested === stored) return;
  const { ctx } = req;
  const name = old.metadata.name ?? '';
  if (ctx.method === 'PUT') {
    const key = `/registry/${ctx.type.custom ? `${ctx.type.group}/` : ''}${ctx.type.plural}/${ctx.type.namespaced ? `${ctx.namespace}/` : ''}${name}`;
    throw conflict(ctx.type, name, `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${requested}, UID in object meta: ${stored}`);
  }
  throw invalid(ctx.type.kind, ctx.type.group, name, [fieldError('FieldValueInvalid', 'metadata.uid', 'field is immutable', requested)]);
}

/** Runs the whole pipeline and stores the result (unless dryRun). Returns the object as stored or as it would be. */
export async function persist(core: ApiCore, req: WriteRequest): Promise<{ object: KubeObject; created: boolean }> {
  const { ctx } = req;
  const { type } = ctx;
  const key = storageKey(type);
  if (req.operation === 'CREATE' && req.object.metadata.resourceVersion) throw plainServerError('resourceVersion should not be set on objects to be created');
  if (req.operation === 'CREATE' && type.namespaced) checkNamespaceWritable(core, ctx, req.object.metadata.name ?? '');

  const allocated = allocatedByRegistry(type, req.object);
  applyStrategy(core, req);
  await core.defaults.apply(ctx, req.object, req.oldObject);
  setGeneration(req);
  if (!req.applied) recordUpdate(req.oldObject, req.object, req.fieldManager, apiVersionOf(type), ctx.subresource, core.fieldTypeInfo(type), allocated);

  const view = req.admissionView;
  const mutated = await core.admission.mutate(ctx, req.operation, view?.object ?? req.object, view?.oldObject ?? req.oldObject, req.dryRun, req.options, view?.kind);
  if (mutated !== (view?.object ?? req.object)) {
    if (view) {
      core.scaleFromView(ctx, req.object, mutated);
    } else {
      const preservedMeta = { uid: req.object.metadata.uid, creationTimestamp: req.object.metadata.creationTimestamp };
      Object.keys(req.object).forEach((k) => delete req.object[k]);
      Object.assign(req.object, mutated);
      Object.assign(req.object.metadata, preservedMeta);
      applyStrategy(core, { ...req, operation: req.operation });
      req.object.metadata.uid = preservedMeta.uid;
      req.object.metadata.creationTimestamp = preservedMeta.creationTimestamp;
      await core.defaults.apply(ctx, req.object, req.oldObject);
      setGeneration(req);
    }
  }

  const errors = [...validateMetadata(req.object, type.kind), ...(await core.defaults.validate(ctx, req.object, req.oldObject))];
  if (req.operation === 'UPDATE' && req.oldObject?.metadata.deletionTimestamp) {
    const oldFinalizers = new Set(req.oldObject.metadata.finalizers ?? []);
    for (const f of req.object.metadata.finalizers ?? []) {
      if (!oldFinalizers.has(f)) {
        const e = { type: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{' + JSON.stringify(f) + '}' };
        errors.push(e, e);
      }
    }
  }
  // events.k8s.io Events are validated as the internal core Event, so their errors name no group (golden 24)
  if (errors.length > 0) throw invalid(type.kind, type.group === 'events.k8s.io' ? '' : type.group, req.object.metadata.name ?? '', errors);

  for (const warning of finalizerWarnings(req.object, req.oldObject)) if (!ctx.warnings.includes(warning)) ctx.warnings.push(warning);
  const validatedView = view ? core.scaleView(ctx, req.object) : req.object;
  await core.admission.validate(ctx, req.operation, validatedView, view?.oldObject ?? req.oldObject, req.dryRun, req.options, view?.kind);

  if (req.operation === 'CREATE') {
    if (core.store.get(key, req.object.metadata.namespace, req.object.metadata.name ?? '')) {
      throw alreadyExists(type, req.object.metadata.name ?? '');
    }
    if (req.dryRun) return { object: req.object, created: true };
    const stored = core.store.create(key, req.object);
    core.afterWrite(type, stored, undefined);
    return { object: stored, created: true };
  }

  const old = req.oldObject!;
  const current = core.store.get(key, old.metadata.namespace, old.metadata.name ?? '');
  if (!current) throw notFound(type, old.metadata.name ?? '');
  const requestedRv = req.object.metadata.resourceVersion;
  if (requestedRv !== undefined && requestedRv !== '' && requestedRv !== current.metadata.resourceVersion) throw conflict(type, old.metadata.name ?? '');
  if (current.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict(type, old.metadata.name ?? '');
  req.object.metadata.resourceVersion = current.metadata.resourceVersion;

  // An update that leaves a deleted object without finalizers completes the deletion, but only once its grace period
  // is over (shouldDeleteDuringUpdate): a terminating pod stays until the kubelet's gracePeriodSeconds=0 delete, so a
  // status write racing the deletion mark must not remove it while its containers still run.
  const pendingGraceSeconds = current.metadata.deletionGracePeriodSeconds;
  const finalizing = current.metadata.deletionTimestamp !== undefined && (req.object.metadata.finalizers ?? []).length === 0
    && (pendingGraceSeconds === undefined || pendingGraceSeconds === 0) && core.canFinalize(type, req.object);
  if (finalizing) {
    if (!req.dryRun) {
      core.store.delete(key, req.object.metadata.namespace, req.object.metadata.name ?? '');
      core.afterDelete(type, req.object);
    }
    return { object: req.object, created: false };
  }
  if (jsonEqual(withoutVolatile(req.object), withoutVolatile(current))) return { object: current, created: false };
  if (req.dryRun) return { object: req.object, created: false };
  const stored = core.store.update(key, req.object);
  core.afterWrite(type, stored, current);
  return { object: stored, created: false };
}

function checkNamespaceWritable(core: ApiCore, ctx: RequestContext, name: string): void {
  const ns = core.store.get('/namespaces', undefined, ctx.namespace ?? '');
  if (!ns) throw notFound({ group: '', plural: 'namespaces' }, ctx.namespace ?? '');
  if (ns.metadata.deletionTimestamp || (isJsonObject(ns.status) && ns.status.phase === 'Terminating')) {
    throw forbidden(ctx.type, name, `unable to create new content in namespace ${ctx.namespace} because it is being terminated`, [
      { reason: 'NamespaceTerminating', message: `namespace ${ctx.namespace} is being terminated`, field: 'metadata.namespace' },
    ]);
  }
}

/** Spec fields that a registry or an admission plugin fills in after the field manager has run, by core kind. */
const SET_BY_REGISTRY: Record<string, string[]> = {
  Service: ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'],
  Namespace: ['finalizers'],
  // the Priority, ServiceAccount and DefaultTolerationSeconds admission plugins (golden 23)
  Pod: ['priority', 'preemptionPolicy', 'serviceAccountName', 'serviceAccount', 'tolerations'],
};

/**
 * The fields the registry fills in after the field manager has run (a Service's ClusterIP allocation, a
 * Namespace's `kubernetes` finalizer), so no manager owns them unless the client set them itself (golden 03, 36).
 */
function allocatedByRegistry(type: ResourceType, sent: KubeObject): FieldSet {
  const paths: FieldSet = new Set();
  if (type.custom || type.group !== '') return paths;
  const spec = isJsonObject(sent.spec) ? sent.spec : {};
  for (const field of SET_BY_REGISTRY[type.kind] ?? []) if (spec[field] === undefined) paths.add(['f:spec', `f:${field}`].join(SEP));
  if (type.kind === 'Service' && Array.isArray(spec.ports)) {
    // allocated node ports too, per port (keyed by port and protocol)
    for (const port of spec.ports.filter(isJsonObject)) {
      if (port.nodePort === undefined) paths.add(['f:spec', 'f:ports', `k:${JSON.stringify({ port: port.port, protocol: port.protocol ?? 'TCP' })}`, 'f:nodePort'].join(SEP));
    }
  }
  return paths;
}
