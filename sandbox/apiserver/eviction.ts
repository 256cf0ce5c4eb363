/**
 * pods/eviction as kube-apiserver's EvictionREST (pkg/registry/core/pod/storage/eviction.go, v1.32): a pod that is
 * not running (Pending, Succeeded, Failed) or already terminating is deleted without looking at budgets; otherwise
 * the one PodDisruptionBudget selecting the pod must allow a disruption, which is then spent (disruptionsAllowed - 1,
 * disruptedPods[pod]) before the pod gets the DisruptionTarget condition and is deleted.
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { fieldManagerOf, parseDryRun } from './context.js';
import type { DeleteOptions } from './lifecycle.js';
import { deleteObject } from './lifecycle.js';
import type { ResourceType } from './registry.js';
import { storageKey } from './registry.js';
import { labelSelectorRequirements, matchesLabels } from './selectors.js';
import { parseJson } from './serialize.js';
import { ApiError, badRequest, forbidden, notFound } from './status-errors.js';
import type { StatusBody } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject, nowTimestamp } from './types.js';
import type { WriteResult } from './write-pipeline.js';
import { persist } from './write-pipeline.js';

/** kube-apiserver refuses evictions once this many are approved but not yet seen by the disruption controller. */
const MAX_DISRUPTED_POD_SIZE = 2000;
const CONFLICT_RETRIES = 20;
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

function objectAt(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}

function isPodReady(pod: KubeObject): boolean {
  const conditions = objectAt(pod.status).conditions;
  return Array.isArray(conditions) && conditions.some((c) => isJsonObject(c) && c.type === 'Ready' && c.status === 'True');
}

/** Terminal, pending and terminating pods cause no further disruption, so budgets are not consulted. */
function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = objectAt(pod.status).phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
}

function shouldEnforceResourceVersion(pod: KubeObject): boolean {
  const phase = objectAt(pod.status).phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp !== undefined);
}

function tooManyRequests(message: string, cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', message, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });
}

function stillProcessing(name: string): ApiError {
  return tooManyRequests(VIOLATION, `The disruption budget ${name} is still being processed by the server.`, 10);
}

function budgetType(core: ApiCore): ResourceType {
  const type = core.registry.find('policy', 'v1', 'poddisruptionbudgets');
  if (!type) throw new Error('policy/v1 poddisruptionbudgets is not registered');
  return type;
}

/** Budgets in the pod's namespace whose selector matches it; an empty selector matches nothing here. */
function budgetsFor(core: ApiCore, pod: KubeObject): KubeObject[] {
  return core.store.list(storageKey(budgetType(core)), pod.metadata.namespace).filter((pdb) => {
    const requirements = labelSelectorRequirements(objectAt(pdb.spec).selector);
    return requirements.length > 0 && matchesLabels(requirements, pod.metadata.labels ?? {});
  });
}

function numberAt(object: JsonObject, key: string): number {
  return typeof object[key] === 'number' ? object[key] : 0;
}

/** pdbhelper.UpdateDisruptionAllowedCondition: the transition time moves only when the status flips. */
export function setDisruptionAllowedCondition(status: JsonObject): void {
  const allowed = numberAt(status, 'disruptionsAllowed') > 0;
  const conditions = Array.isArray(status.conditions) ? (status.conditions as JsonObject[]) : [];
  const existing = conditions.find((c) => c.type === 'DisruptionAllowed');
  const next: JsonObject = {
    type: 'DisruptionAllowed',
    status: allowed ? 'True' : 'False',
    observedGeneration: numberAt(status, 'observedGeneration'),
    lastTransitionTime: existing && existing.status === (allowed ? 'True' : 'False') ? existing.lastTransitionTime : nowTimestamp(),
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  status.conditions = existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next];
}

/** checkAndDecrement: refuses or spends one disruption; a dry run stops before writing. */
async function checkAndDecrement(core: ApiCore, ctx: RequestContext, pdb: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  const status = deepClone(objectAt(pdb.status));
  const name = pdb.metadata.name ?? '';
  if (numberAt(status, 'observedGeneration') < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  const ref = { group: 'policy', plural: 'poddisruptionbudget' };
  if (numberAt(status, 'disruptionsAllowed') < 0) throw forbidden(ref, name, 'pdb disruptions allowed is negative');
  if (Object.keys(objectAt(status.disruptedPods)).length > MAX_DISRUPTED_POD_SIZE) {
    throw forbidden(ref, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (numberAt(status, 'disruptionsAllowed') === 0) {
    throw tooManyRequests(VIOLATION, `The disruption budget ${name} needs ${numberAt(status, 'desiredHealthy')} healthy pods and has ${numberAt(status, 'currentHealthy')} currently`, 0);
  }
  status.disruptionsAllowed = numberAt(status, 'disruptionsAllowed') - 1;
  if (status.disruptionsAllowed === 0) setDisruptionAllowedCondition(status);
  if (dryRun) return;
  status.disruptedPods = { ...objectAt(status.disruptedPods), [podName]: nowTimestamp() };
  const next = deepClone(pdb);
  next.status = status;
  const type = budgetType(core);
  await persist(core, {
    ctx: { ...ctx, type, name, subresource: 'status', query: new URLSearchParams(), headers: { 'user-agent': 'kube-apiserver/v1.32.13' }, warnings: [] },
    operation: 'UPDATE', object: next, oldObject: pdb, dryRun: false, fieldManager: 'kube-apiserver', applied: false,
    options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
  });
}

/** Spends a disruption of the budget, re-reading it after a conflicting write as kube-apiserver retries. */
async function spendDisruption(core: ApiCore, ctx: RequestContext, pdb: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  let current = pdb;
  for (let attempt = 0; ; attempt++) {
    try {
      await checkAndDecrement(core, ctx, current, podName, dryRun);
      return;
    } catch (error) {
      const isConflict = error instanceof ApiError && error.code === 409;
      if (!isConflict) throw error;
      if (attempt >= CONFLICT_RETRIES) throw new ApiError(504, 'Timeout', `couldn't update PodDisruptionBudget "${current.metadata.name}" due to conflicts`, { retryAfterSeconds: 10 });
      const fresh = core.store.get(storageKey(budgetType(core)), current.metadata.namespace, current.metadata.name ?? '');
      if (!fresh) throw notFound(budgetType(core), current.metadata.name ?? '');
      current = fresh;
    }
  }
}

/** podutil.UpdatePodCondition: lastTransitionTime moves only when the condition's status changes. */
function withDisruptionTarget(pod: KubeObject): KubeObject {
  const next = deepClone(pod);
  const status = objectAt(next.status);
  const conditions = Array.isArray(status.conditions) ? (status.conditions as JsonObject[]) : [];
  const existing = conditions.find((c) => c.type === 'DisruptionTarget');
  const condition: JsonObject = {
    type: 'DisruptionTarget', status: 'True', lastProbeTime: null,
    lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : nowTimestamp(),
    reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting',
  };
  status.conditions = existing ? conditions.map((c) => (c === existing ? condition : c)) : [...conditions, condition];
  next.status = status;
  return next;
}

/** addConditionAndDeletePod: DisruptionTarget through pods/status (not on a dry run), then the delete. */
async function addConditionAndDelete(core: ApiCore, ctx: RequestContext, options: DeleteOptions): Promise<void> {
  const podCtx: RequestContext = { ...ctx, subresource: undefined, body: Buffer.alloc(0) };
  if (!options.dryRun) {
    const latest = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name ?? '');
    if (!latest) throw notFound(ctx.type, ctx.name ?? '');
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== latest.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on Pod "${ctx.name}": the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata.uid}). The object might have been deleted and then recreated`, { name: ctx.name, kind: 'Pod' });
    }
    if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on Pod "${ctx.name}": the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion}). The object might have been modified`, { name: ctx.name, kind: 'Pod' });
    }
    const written = await persist(core, {
      ctx: { ...podCtx, subresource: 'status' }, operation: 'UPDATE', object: withDisruptionTarget(latest), oldObject: latest,
      dryRun: false, fieldManager: fieldManagerOf(ctx), applied: false, options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    // the condition write is ours, so a resourceVersion precondition follows it
    if (pre?.resourceVersion) options = { ...options, preconditions: { ...pre, resourceVersion: written.object.metadata.resourceVersion } };
  }
  await deleteObject(core, podCtx, options);
}

function parseEviction(ctx: RequestContext): { deleteOptions: DeleteOptions } {
  const body = parseJson(ctx.body.toString('utf8') || '{}', 'Eviction');
  const eviction = objectAt(body);
  if (objectAt(eviction.metadata).name !== ctx.name) throw badRequest('name in URL does not match name in Eviction object');
  const given = objectAt(eviction.deleteOptions);
  const queryDryRun = parseDryRun(ctx.query, 'CreateOptions');
  const bodyDryRun = Array.isArray(given.dryRun) && given.dryRun.includes('All');
  if (queryDryRun && Array.isArray(given.dryRun) && given.dryRun.length > 0 && !bodyDryRun) {
    throw badRequest(`Non-matching dry-run options in request and content: [All] and [${given.dryRun.join(' ')}]`);
  }
  const deleteOptions: DeleteOptions = { dryRun: queryDryRun || bodyDryRun };
  if (typeof given.gracePeriodSeconds === 'number') deleteOptions.gracePeriodSeconds = given.gracePeriodSeconds;
  if (isJsonObject(given.preconditions)) deleteOptions.preconditions = given.preconditions as DeleteOptions['preconditions'];
  return { deleteOptions };
}

function success(): WriteResult {
  const status: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  return { status: 201, body: status as unknown as KubeObject };
}

export async function evictPod(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  const { deleteOptions } = parseEviction(ctx);
  const pod = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name ?? '');
  if (!pod) throw notFound(ctx.type, ctx.name ?? '');
  const rvUnset = !deleteOptions.preconditions?.resourceVersion;
  const pinned = (options: DeleteOptions): DeleteOptions => ({ ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion } });

  if (canIgnoreBudget(pod)) {
    await addConditionAndDelete(core, ctx, shouldEnforceResourceVersion(pod) && rvUnset ? pinned(deleteOptions) : deleteOptions);
    return success();
  }
  const budgets = budgetsFor(core, pod);
  if (budgets.length > 1) {
    const status: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 };
    return { status: 500, body: status as unknown as KubeObject };
  }
  let pinToPod = false;
  const pdb = budgets[0];
  if (pdb) {
    const spec = objectAt(pdb.spec);
    const status = objectAt(pdb.status);
    if (!isPodReady(pod) && (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow'
      || (numberAt(status, 'currentHealthy') >= numberAt(status, 'desiredHealthy') && numberAt(status, 'desiredHealthy') > 0))) {
      // an unready pod does not count as healthy: deleting it spends nothing, as long as it is still unready
      pinToPod = true;
    } else {
      await spendDisruption(core, ctx, pdb, pod.metadata.name ?? '', deleteOptions.dryRun);
    }
  }
  try {
    await addConditionAndDelete(core, ctx, pinToPod ? pinned(deleteOptions) : deleteOptions);
  } catch (error) {
    if (error instanceof ApiError && error.code === 409 && pinToPod && rvUnset && pdb) throw stillProcessing(pdb.metadata.name ?? '');
    throw error;
  }
  return success();
}
