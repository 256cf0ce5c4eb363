/**
 * Deletion: preconditions, finalizers and deletionTimestamp, propagation policies (the garbage collector that
 * removes dependents is a separate controller), graceful pod deletion, namespace termination and finalize,
 * pod binding, deletecollection.
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { fieldManagerOf, header, parseDryRun } from './context.js';
import { CRD_CLEANUP_FINALIZER, markCrdTerminating } from './crd.js';
import { apiVersionOf, storageKey } from './registry.js';
import { listObjects } from './read.js';
import { parseJson } from './serialize.js';
import { ApiError, badRequest, notFound, preconditionConflict, successStatus } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject, nowTimestamp } from './types.js';
import type { WriteResult } from './write-pipeline.js';
import { persist } from './write-pipeline.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export function parseDeleteOptions(ctx: RequestContext): DeleteOptions {
  let body: JsonObject = {};
  const text = ctx.body.toString('utf8').trim();
  if (text !== '') {
    const parsed = parseJson(text, 'DeleteOptions');
    if (isJsonObject(parsed)) body = parsed;
  }
  const dryRun = parseDryRun(ctx.query, 'DeleteOptions') || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  const options: DeleteOptions = { dryRun };
  const grace = ctx.query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (grace !== undefined && grace !== null) options.gracePeriodSeconds = Number(grace);
  const policy = ctx.query.get('propagationPolicy') ?? body.propagationPolicy;
  if (policy === 'Background' || policy === 'Foreground' || policy === 'Orphan') options.propagationPolicy = policy;
  else if (policy !== undefined && policy !== null) throw badRequest(`propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  const orphan = ctx.query.get('orphanDependents') ?? body.orphanDependents;
  if (orphan !== undefined && orphan !== null) options.orphanDependents = orphan === true || orphan === 'true';
  if (isJsonObject(body.preconditions)) options.preconditions = body.preconditions as DeleteOptions['preconditions'];
  return options;
}

function checkPreconditions(ctx: RequestContext, object: KubeObject, options: DeleteOptions): void {
  const pre = options.preconditions;
  if (!pre) return;
  const name = object.metadata.name ?? '';
  if (pre.uid && pre.uid !== object.metadata.uid) {
    throw preconditionConflict(ctx.type.kind, ctx.type.group, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${object.metadata.uid}). The object might have been deleted and then recreated`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== object.metadata.resourceVersion) {
    throw preconditionConflict(ctx.type.kind, ctx.type.group, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${object.metadata.resourceVersion}). The object might have been modified`);
  }
}

function deleteOptionsForAdmission(options: DeleteOptions): JsonObject {
  const out: JsonObject = { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' };
  if (options.dryRun) out.dryRun = ['All'];
  if (options.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.propagationPolicy) out.propagationPolicy = options.propagationPolicy;
  return out;
}

function isPodGraceful(object: KubeObject, options: DeleteOptions): number {
  const spec = isJsonObject(object.spec) ? object.spec : {};
  const status = isJsonObject(object.status) ? object.status : {};
  if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  const grace = options.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
  return Math.max(0, grace);
}

function withTypeMeta(ctx: RequestContext, object: KubeObject): KubeObject {
  return { ...object, apiVersion: apiVersionOf(ctx.type), kind: ctx.type.kind };
}

export async function deleteObject(core: ApiCore, ctx: RequestContext, optionsOverride?: DeleteOptions): Promise<{ status: number; body: unknown }> {
  const key = storageKey(ctx.type);
  const existing = core.store.get(key, ctx.namespace, ctx.name ?? '');
  if (!existing) throw notFound(ctx.type, ctx.name ?? '');
  const options = optionsOverride ?? parseDeleteOptions(ctx);
  checkPreconditions(ctx, existing, options);
  const current = withTypeMeta(ctx, existing);
  await core.admission.mutate(ctx, 'DELETE', current, current, options.dryRun, deleteOptionsForAdmission(options));
  await core.admission.validate(ctx, 'DELETE', undefined, current, options.dryRun, deleteOptionsForAdmission(options));

  const isNamespace = ctx.type.group === '' && ctx.type.plural === 'namespaces';
  const isPod = ctx.type.group === '' && ctx.type.plural === 'pods';
  const next = deepClone(current);
  const finalizers = [...(next.metadata.finalizers ?? [])];
  const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : undefined);

  if (next.metadata.deletionTimestamp) return shortenPendingDeletion(core, ctx, current, existing, options, isPod);
  let grace = 0;
  if (isPod) grace = isPodGraceful(next, options);
  if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
  if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  // a CRD gets its cleanup finalizer and the Terminating condition from the DELETE itself (golden 32)
  const isCrd = ctx.type.group === 'apiextensions.k8s.io' && ctx.type.plural === 'customresourcedefinitions';
  if (isCrd && !finalizers.includes(CRD_CLEANUP_FINALIZER)) finalizers.push(CRD_CLEANUP_FINALIZER);
  const mustMark = isNamespace || finalizers.length > 0 || grace > 0;
  if (!mustMark) return removeNow(core, ctx, current, options);

  next.metadata.deletionTimestamp = rfc3339(new Date(Date.now() + grace * 1000));
  if (!isCrd) next.metadata.deletionGracePeriodSeconds = grace;
  if (finalizers.length > 0) next.metadata.finalizers = finalizers;
  if (isCrd) markCrdTerminating(next);
  // custom resources count a deletion as a spec change (golden 20); built-ins and CRDs do not (golden 32)
  if (ctx.type.custom) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
  if (isNamespace) next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: 'Terminating' };
  // the finalizers a DELETE adds (foregroundDeletion, orphan) belong to no manager (golden 04 #17, 26 #6, 29 #11)
  if (options.dryRun) return { status: 200, body: next };
  const stored = core.store.update(key, next);
  core.afterWrite(ctx.type, stored, existing);
  if (isNamespace && core.canFinalize(ctx.type, stored) && finalizers.length === 0) {
    core.store.delete(key, undefined, ctx.name ?? '');
    core.afterDelete(ctx.type, stored);
  }
  return { status: 200, body: withTypeMeta(ctx, stored) };
}

/**
 * A delete of an object already being deleted may only shorten a pod's grace period (BeforeDelete in delete.go).
 * At zero without finalizers the pod goes now; with finalizers it keeps the shorter period, so the update removing
 * the last finalizer completes the deletion.
 */
function shortenPendingDeletion(core: ApiCore, ctx: RequestContext, current: KubeObject, existing: KubeObject, options: DeleteOptions, isPod: boolean): { status: number; body: unknown } {
  const pending = current.metadata.deletionGracePeriodSeconds;
  const wanted = options.gracePeriodSeconds;
  if (!isPod || wanted === undefined) return { status: 200, body: current };
  if (wanted === 0 && (current.metadata.finalizers ?? []).length === 0) return removeNow(core, ctx, current, options);
  if (pending !== undefined && wanted >= pending) return { status: 200, body: current };
  const next = deepClone(current);
  const markedAtMs = Date.parse(String(current.metadata.deletionTimestamp)) - (pending ?? 0) * 1000;
  next.metadata.deletionTimestamp = rfc3339(new Date(markedAtMs + wanted * 1000));
  next.metadata.deletionGracePeriodSeconds = wanted;
  if (options.dryRun) return { status: 200, body: next };
  const stored = core.store.update(storageKey(ctx.type), next);
  core.afterWrite(ctx.type, stored, existing);
  return { status: 200, body: withTypeMeta(ctx, stored) };
}

function removeNow(core: ApiCore, ctx: RequestContext, object: KubeObject, options: DeleteOptions): { status: number; body: unknown } {
  if (!options.dryRun) {
    core.store.delete(storageKey(ctx.type), object.metadata.namespace, object.metadata.name ?? '');
    core.afterDelete(ctx.type, object);
  }
  if (ctx.type.deleteReturnsObject) {
    // a pod goes through graceful deletion even when its grace is 0: the answer carries the marks (golden 23)
    const isPod = ctx.type.group === '' && ctx.type.plural === 'pods';
    const marked = isPod ? { ...object, metadata: { ...object.metadata, deletionTimestamp: object.metadata.deletionTimestamp ?? nowTimestamp(), deletionGracePeriodSeconds: 0 } } : object;
    return { status: 200, body: marked };
  }
  const details: JsonObject = { name: object.metadata.name };
  if (ctx.type.group !== '') details.group = ctx.type.group;
  details.kind = ctx.type.plural;
  details.uid = object.metadata.uid;
  return { status: 200, body: successStatus(details) };
}

/** DELETE on a collection: deletes every match and answers with the list of what was deleted (golden 31 #22). */
export async function deleteCollection(core: ApiCore, ctx: RequestContext): Promise<{ status: number; body: unknown }> {
  const list = await listObjects(core, ctx);
  const options = parseDeleteOptions(ctx);
  const items = Array.isArray(list.items) ? (list.items as KubeObject[]) : [];
  for (const item of items) {
    try {
      await deleteObject(core, { ...ctx, namespace: item.metadata.namespace, name: item.metadata.name, body: Buffer.alloc(0) }, options);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
  return { status: 200, body: { ...list, metadata: { resourceVersion: String(core.store.currentRevision()) } } };
}

/** PUT namespaces/<name>/finalize: only spec.finalizers changes; the namespace goes once both finalizer lists are empty. */
export async function finalizeNamespace(core: ApiCore, ctx: RequestContext, dryRun: boolean): Promise<WriteResult> {
  const key = storageKey(ctx.type);
  const existing = core.store.get(key, undefined, ctx.name ?? '');
  if (!existing) throw notFound(ctx.type, ctx.name ?? '');
  const body = parseJson(ctx.body.toString('utf8'), 'Namespace');
  const spec = isJsonObject(body) && isJsonObject(body.spec) ? body.spec : {};
  const next = deepClone(existing);
  next.spec = { ...(isJsonObject(next.spec) ? next.spec : {}), finalizers: Array.isArray(spec.finalizers) ? spec.finalizers : [] };
  if (!Array.isArray(spec.finalizers) || spec.finalizers.length === 0) (next.spec as JsonObject).finalizers = undefined;
  next.spec = JSON.parse(JSON.stringify(next.spec)) as JsonObject;
  if (dryRun) return { status: 200, body: withTypeMeta(ctx, next) };
  if (next.metadata.deletionTimestamp && core.canFinalize(ctx.type, next) && (next.metadata.finalizers ?? []).length === 0) {
    // the update that clears the last finalizer deletes instead (ShouldDeleteDuringUpdate): one DELETED event,
    // carrying the state stored before (golden 32's watch)
    core.store.delete(key, undefined, ctx.name ?? '');
    core.afterDelete(ctx.type, existing);
    return { status: 200, body: withTypeMeta(ctx, next) };
  }
  const stored = core.store.update(key, next);
  core.afterWrite(ctx.type, stored, existing);
  return { status: 200, body: withTypeMeta(ctx, stored) };
}

/** pods/binding sets spec.nodeName (pods/eviction is in eviction.ts). */
export async function podSubresource(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  if (ctx.type.plural !== 'pods' || ctx.type.group !== '' || ctx.name === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  const body = parseJson(ctx.body.toString('utf8') || '{}', 'Binding');
  const existing = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name);
  if (!existing) throw notFound(ctx.type, ctx.name);
  const target = isJsonObject(body) && isJsonObject(body.target) ? String(body.target.name ?? '') : '';
  const spec = isJsonObject(existing.spec) ? existing.spec : {};
  if (spec.nodeName) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${ctx.name}": pod ${ctx.name} is already assigned to node "${String(spec.nodeName)}"`, { name: ctx.name, kind: 'pods/binding' });
  const next = deepClone(existing);
  next.spec = { ...spec, nodeName: target };
  await persist(core, { ctx: { ...ctx, subresource: undefined }, operation: 'UPDATE', object: next, oldObject: existing, dryRun: false, fieldManager: fieldManagerOf(ctx), applied: false, options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' } });
  const status = successStatus({});
  delete status.details;
  return { status: 201, body: status as unknown as KubeObject };
}

export { header, nowTimestamp };
