/**
 * The resolve phase: find the store in the cache and resolve it once (defaults applied, names derived) for every
 * later phase. A store being deleted is finalized here; a live one gets the finalizer first.
 */
import { KVSTORE_FINALIZER } from '../../../shared/labels.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { paths } from '../../../kube/paths.js';
import type { KubeObject } from '../../../kube/client.js';
import { resolveStore, type ResolvedStore } from '../../desired/index.js';
import type { ControllerContext } from '../context.js';

/** One reconcile's subject: the live object and its one resolution. */
export interface ReconcileTarget {
  key: string;
  store: KVStore;
  resolved: ResolvedStore;
}

export type Resolution =
  | { kind: 'gone' }
  | { kind: 'deleting'; target: ReconcileTarget }
  | { kind: 'live'; target: ReconcileTarget };

async function ensureFinalizer(context: ControllerContext, store: KVStore): Promise<KVStore> {
  const finalizers = store.metadata?.finalizers ?? [];
  if (finalizers.includes(KVSTORE_FINALIZER)) return store;
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const updated = await context.client.patch<KVStore>(paths.kvstore(namespace, name), {
    metadata: { finalizers: [...finalizers, KVSTORE_FINALIZER], resourceVersion: store.metadata?.resourceVersion },
  });
  await context.events.record(store as KubeObject, { type: 'Normal', reason: 'Created', message: 'reconciling a new store' });
  return updated;
}

export async function resolvePhase(context: ControllerContext, key: string): Promise<Resolution> {
  const [namespace, name] = key.split('/') as [string, string];
  const cached = context.informers.stores.get(namespace, name) as KVStore | undefined;
  if (!cached) return { kind: 'gone' };
  if (cached.metadata?.deletionTimestamp) {
    return { kind: 'deleting', target: { key, store: cached, resolved: resolveStore(cached, { operatorNamespace: context.operatorNamespace }) } };
  }
  const store = await ensureFinalizer(context, cached);
  return { kind: 'live', target: { key, store, resolved: resolveStore(store, { operatorNamespace: context.operatorNamespace }) } };
}
