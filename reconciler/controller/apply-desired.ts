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
import type { ControllerContext } from './context.js';
import type { AppliedMemory } from './store-memory.js';
import type { Informer } from '../../kube/informer.js';
import type { Blocked } from './store-secrets.js';

export interface ApplyOutcome {
  configChanged: boolean;
  statefulSetChanged: boolean;
  blocked?: Blocked;
  grownClaims: string[];
  /** Whether any object was applied or deleted (false: the live objects already were as desired). */
  changed: boolean;
}

async function applyCached(context: ControllerContext, desired: KubernetesObject, cache: Informer | undefined): Promise<boolean> {
  const { namespace, name } = desired.metadata as { namespace: string; name: string };
  const live = cache
    ? cache.get(namespace, name) as KubernetesObject | undefined
    : await readObject<KubernetesObject>(context.client, { apiVersion: desired.apiVersion!, kind: desired.kind!, metadata: { name, namespace } });
  const result = await applyIfChanged(context.client, desired, live);
  return result.applied;
}

/** True when a delete was sent. */
async function deleteOptional(context: ControllerContext, memory: AppliedMemory, flag: 'pdbAbsent' | 'networkPolicyAbsent' | 'readServiceAbsent', header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }, cached?: Informer): Promise<boolean> {
  if (cached) {
    if (!cached.get(header.metadata.namespace, header.metadata.name)) return false;
    await deleteObjectIfExists(context.client, header);
    return true;
  }
  // Uncached kinds: one delete attempt per process, then remember the object is gone.
  if (memory[flag]) return false;
  await deleteObjectIfExists(context.client, header);
  memory[flag] = true;
  return true;
}

/**
 * What the last apply pass saw: the store's and every cached owned object's resourceVersion, and the replica count
 * chosen. While it is unchanged, building the desired objects again and comparing them would find nothing to do;
 * skipping that is most of the cost of a periodic resync (CPU, and the garbage that grows the heap). Undefined when
 * an owned object is not cached (a NetworkPolicy is read from the API server each time, so it is always compared).
 */
export function appliedStateKey(context: ControllerContext, store: KVStore, statefulSetReplicas: number, networkPolicyEnabled: boolean): string | undefined {
  if (networkPolicyEnabled) return undefined;
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const names = storeObjectNames(name);
  const { informers } = context;
  const versionOf = (cache: Informer, objectName: string) => cache.get(namespace, objectName)?.metadata?.resourceVersion ?? '-';
  return [
    store.metadata?.uid, store.metadata?.resourceVersion, statefulSetReplicas,
    versionOf(informers.statefulSets, name), versionOf(informers.configMaps, names.configMap),
    versionOf(informers.services, names.headlessService), versionOf(informers.services, names.masterService), versionOf(informers.services, names.readService),
    versionOf(informers.podDisruptionBudgets, names.podDisruptionBudget),
  ].join('|');
}

export async function applyDesired(context: ControllerContext, store: KVStore, desired: DesiredObjects, memory: AppliedMemory): Promise<ApplyOutcome> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const { informers } = context;
  const outcome: ApplyOutcome = { configChanged: false, statefulSetChanged: false, grownClaims: [], changed: false };
  // The ConfigMap first: a pod that starts must find the config it is meant to run with.
  outcome.configChanged = await applyCached(context, desired.configMap as KubernetesObject, informers.configMaps);
  let changed = outcome.configChanged;
  for (const service of [desired.headlessService, desired.masterService, desired.readService]) {
    if (service && await applyCached(context, service as KubernetesObject, informers.services)) changed = true;
  }
  if (desired.podDisruptionBudget && await applyCached(context, desired.podDisruptionBudget as KubernetesObject, informers.podDisruptionBudgets)) changed = true;
  if (desired.networkPolicy) {
    memory.networkPolicyAbsent = false;
    if (await applyCached(context, desired.networkPolicy as KubernetesObject, undefined)) changed = true;
  }

  const live = informers.statefulSets.get(namespace, name) as V1StatefulSet | undefined;
  const plan = planStatefulSetChange(desired.statefulSet, live);
  if (plan.apply) {
    const result = await applyIfChanged(context.client, plan.statefulSet, live);
    outcome.statefulSetChanged = result.applied;
    if (result.applied) changed = true;
  }
  if (plan.growPvcs.length > 0) {
    changed = true;
    const growth = await growPersistentVolumeClaims(context.client, namespace, plan.growPvcs);
    outcome.grownClaims = growth.grown;
    if (growth.failed.length > 0) {
      outcome.blocked = { reason: 'VolumeExpansionFailed', message: growth.failed.map((failure) => `${failure.name}: ${failure.message}`).join('; ') };
    }
  }
  if (plan.blocked) outcome.blocked = { reason: 'UnsupportedChange', message: plan.blocked };

  const names = storeObjectNames(name);
  if (!desired.readService) {
    if (await deleteOptional(context, memory, 'readServiceAbsent', { apiVersion: 'v1', kind: 'Service', metadata: { name: names.readService, namespace } }, informers.services)) changed = true;
  }
  if (!desired.podDisruptionBudget) {
    if (await deleteOptional(context, memory, 'pdbAbsent', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: names.podDisruptionBudget, namespace } }, informers.podDisruptionBudgets)) changed = true;
  }
  if (!desired.networkPolicy) {
    if (await deleteOptional(context, memory, 'networkPolicyAbsent', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: names.networkPolicy, namespace } })) changed = true;
  }
  outcome.changed = changed;
  return outcome;
}
