/**
 * Applies a store's desired objects through the apply layer (server-side apply, field manager redwing, only when
 * something differs from the cached live object), handles the StatefulSet's immutable fields (PVC growth in place,
 * anything else reported as blocked), and deletes optional objects that were switched off.
 */
import type { KubernetesObject, V1StatefulSet } from '@kubernetes/client-node';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { storeObjectNames } from '../../shared/names.js';
import { applyIfChanged, growPersistentVolumeClaims, planStatefulSetChange, readObject, deleteObjectIfExists } from '../apply/index.js';
import type { DesiredObjects } from '../desired/index.js';
import type { ControllerContext, StoreRuntime } from './context.js';
import type { Informer } from './informers.js';
import type { Blocked } from './store-secrets.js';

export interface ApplyOutcome {
  configChanged: boolean;
  statefulSetChanged: boolean;
  blocked?: Blocked;
  grownClaims: string[];
}

async function applyCached(context: ControllerContext, desired: KubernetesObject, cache: Informer | undefined): Promise<boolean> {
  const { namespace, name } = desired.metadata as { namespace: string; name: string };
  const live = cache
    ? cache.get(namespace, name) as KubernetesObject | undefined
    : await readObject<KubernetesObject>(context.client, { apiVersion: desired.apiVersion!, kind: desired.kind!, metadata: { name, namespace } });
  const result = await applyIfChanged(context.client, desired, live);
  return result.applied;
}

async function deleteOptional(context: ControllerContext, runtime: StoreRuntime, flag: 'pdbAbsent' | 'networkPolicyAbsent' | 'readServiceAbsent', header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }, cached?: Informer): Promise<void> {
  if (cached) {
    if (cached.get(header.metadata.namespace, header.metadata.name)) await deleteObjectIfExists(context.client, header);
    return;
  }
  // Uncached kinds: one delete attempt per process, then remember the object is gone.
  if (runtime[flag]) return;
  await deleteObjectIfExists(context.client, header);
  runtime[flag] = true;
}

export async function applyDesired(context: ControllerContext, store: KVStore, desired: DesiredObjects, runtime: StoreRuntime): Promise<ApplyOutcome> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const { informers } = context;
  const outcome: ApplyOutcome = { configChanged: false, statefulSetChanged: false, grownClaims: [] };
  // The ConfigMap first: a pod that starts must find the config it is meant to run with.
  outcome.configChanged = await applyCached(context, desired.configMap as KubernetesObject, informers.configMaps);
  for (const service of [desired.headlessService, desired.masterService, desired.readService]) {
    if (service) await applyCached(context, service as KubernetesObject, informers.services);
  }
  if (desired.podDisruptionBudget) await applyCached(context, desired.podDisruptionBudget as KubernetesObject, informers.podDisruptionBudgets);
  if (desired.networkPolicy) {
    runtime.networkPolicyAbsent = false;
    await applyCached(context, desired.networkPolicy as KubernetesObject, undefined);
  }

  const live = informers.statefulSets.get(namespace, name) as V1StatefulSet | undefined;
  const plan = planStatefulSetChange(desired.statefulSet, live);
  if (plan.apply) {
    const result = await applyIfChanged(context.client, plan.statefulSet, live);
    outcome.statefulSetChanged = result.applied;
  }
  if (plan.growPvcs.length > 0) {
    const growth = await growPersistentVolumeClaims(context.client, namespace, plan.growPvcs);
    outcome.grownClaims = growth.grown;
    if (growth.failed.length > 0) {
      outcome.blocked = { reason: 'VolumeExpansionFailed', message: growth.failed.map((failure) => `${failure.name}: ${failure.message}`).join('; ') };
    }
  }
  if (plan.blocked) outcome.blocked = { reason: 'UnsupportedChange', message: plan.blocked };

  const names = storeObjectNames(name);
  if (!desired.readService) {
    await deleteOptional(context, runtime, 'readServiceAbsent', { apiVersion: 'v1', kind: 'Service', metadata: { name: names.readService, namespace } }, informers.services);
  }
  if (!desired.podDisruptionBudget) {
    await deleteOptional(context, runtime, 'pdbAbsent', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: names.podDisruptionBudget, namespace } }, informers.podDisruptionBudgets);
  }
  if (!desired.networkPolicy) {
    await deleteOptional(context, runtime, 'networkPolicyAbsent', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: names.networkPolicy, namespace } });
  }
  return outcome;
}
