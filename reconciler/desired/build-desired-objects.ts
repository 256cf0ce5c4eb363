/** Every object the reconciler applies for a store, built from one defaulted view of it. */
import type {
  V1ConfigMap, V1NetworkPolicy, V1PodDisruptionBudget, V1Service, V1StatefulSet,
} from '@kubernetes/client-node';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { buildResolvedConfigMap } from './build-config-map.js';
import { buildResolvedNetworkPolicy } from './build-network-policy.js';
import { buildResolvedPodDisruptionBudget } from './build-pdb.js';
import { buildResolvedHeadlessService, buildResolvedMasterService, buildResolvedReadService } from './build-services.js';
import { buildResolvedStatefulSet } from './build-statefulset.js';
import { resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

export interface DesiredObjects {
  configMap: V1ConfigMap;
  statefulSet: V1StatefulSet;
  headlessService: V1Service;
  masterService: V1Service;
  /** Absent when service.readReplicas is off: the controller deletes a live one. */
  readService?: V1Service;
  /** Absent when no budget applies (one pod, nothing set): the controller deletes a live one. */
  podDisruptionBudget?: V1PodDisruptionBudget;
  /** Absent when networkPolicy.enabled is off: the controller deletes a live one. */
  networkPolicy?: V1NetworkPolicy;
}

/**
 * The desired objects of a store. Apply the ConfigMap before the StatefulSet: a pod that starts must find the
 * config it is meant to run with.
 */
export function buildDesiredObjects(store: KVStore, context: DesiredContext = {}): DesiredObjects {
  return buildResolvedDesiredObjects(resolveStore(store, context));
}

/** The same from a store already resolved (the reconciler resolves each store once per reconcile). */
export function buildResolvedDesiredObjects(resolved: ResolvedStore): DesiredObjects {
  const objects: DesiredObjects = {
    configMap: buildResolvedConfigMap(resolved),
    statefulSet: buildResolvedStatefulSet(resolved),
    headlessService: buildResolvedHeadlessService(resolved),
    masterService: buildResolvedMasterService(resolved),
  };
  const readService = buildResolvedReadService(resolved);
  const podDisruptionBudget = buildResolvedPodDisruptionBudget(resolved);
  const networkPolicy = buildResolvedNetworkPolicy(resolved);
  if (readService) objects.readService = readService;
  if (podDisruptionBudget) objects.podDisruptionBudget = podDisruptionBudget;
  if (networkPolicy) objects.networkPolicy = networkPolicy;
  return objects;
}
