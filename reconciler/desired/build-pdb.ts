/**
 * PodDisruptionBudget `S`: with the default `maxUnavailable: 1` (replicas > 1) a drain evicts one pod at a time, so
 * a store never loses its master and its replicas in one go. No PDB for a single pod with no budget set: it would
 * only block node drains forever.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { storeSelectorLabels } from '../../shared/labels.js';
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

export function buildResolvedPodDisruptionBudget(store: ResolvedStore): V1PodDisruptionBudget | undefined {
  const pdb = store.spec.pdb;
  const budget = pdb?.minAvailable !== undefined
    ? { minAvailable: pdb.minAvailable }
    : pdb?.maxUnavailable !== undefined ? { maxUnavailable: pdb.maxUnavailable } : undefined;
  if (!budget) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedObjectMeta(store, storeObjectNames(store.name).podDisruptionBudget),
    spec: { ...budget, selector: { matchLabels: storeSelectorLabels(store.name) } },
  };
}

export function buildPodDisruptionBudget(store: KVStore, context: DesiredContext = {}): V1PodDisruptionBudget | undefined {
  return buildResolvedPodDisruptionBudget(resolveStore(store, context));
}
