/**
 * The KVStore controller: the generic runner (kube/runtime/controller.ts) around reconcileStore. A failed reconcile
 * is logged and shown on the store as a Warning Event `ReconcileFailed` naming the phase that failed, so
 * `kubectl describe kvs/x` says why a store does not progress (repeats bump the Event's count), and as the condition
 * Reconciled=False with reason `<Phase>Failed` (reconciled-condition.ts), which the next successful reconcile turns
 * True again.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../kube/client.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { Controller, type ReconcileFailure } from '../../kube/runtime/controller.js';
import type { ControllerContext } from './context.js';
import type { ReconcilerMetrics } from './metrics.js';
import type { NamespaceClaimWatcher } from './namespace-claim.js';
import { reconcileStore } from './reconcile-store.js';
import { writeReconcileFailed } from './reconciled-condition.js';

export interface StoreControllerOptions {
  context: ControllerContext;
  metrics: ReconcilerMetrics;
  concurrency?: number;
  /** Stores in a namespace another reconciler claims are left alone. */
  claims?: NamespaceClaimWatcher;
  /** The monitor stops watching a store this instance leaves alone. */
  release: (key: string) => void;
}

/** The Event message of a failure: the phase and the underlying error. Pure. */
export function reconcileFailedMessage(failure: Pick<ReconcileFailure, 'phase' | 'message' | 'terminal'>): string {
  const where = failure.phase ? `${failure.phase} phase failed` : 'reconcile failed';
  return `${where}: ${failure.message}${failure.terminal ? ' (not retried until the store changes)' : '; retrying'}`;
}

async function reportFailure(context: ControllerContext, logger: Logger, failure: ReconcileFailure): Promise<void> {
  logger.warn({ store: failure.key, phase: failure.phase, err: failure.error, failures: failure.failures, terminal: failure.terminal }, 'reconcile failed');
  const [namespace, name] = failure.key.split('/') as [string, string];
  const store = context.informers.stores.get(namespace, name);
  if (!store) return;
  const message = reconcileFailedMessage(failure);
  await context.events.record(store as KubeObject, { type: 'Warning', reason: 'ReconcileFailed', message });
  // A store being deleted may be gone by now; its finalizer's failures stay Events only.
  if (store.metadata?.deletionTimestamp) return;
  const written = await writeReconcileFailed({ client: context.client, logger, store: store as KVStore, failure: { key: failure.key, phase: failure.phase, message } });
  // Remembered so the next successful status write turns it True even before the informer shows it False.
  if (written) context.memories.ensure(failure.key).reconcile.failedCondition = written;
}

export function createStoreController(options: StoreControllerOptions): Controller {
  const { context, claims } = options;
  return new Controller({
    name: 'kvstore',
    concurrency: options.concurrency ?? 8,
    maxDelayMs: 30_000,
    metrics: options.metrics,
    initialKeys: () => context.informers.stores.list().map((store) => `${store.metadata?.namespace}/${store.metadata?.name}`),
    reconcile: async (key, signal) => {
      if (claims?.isClaimed(key.split('/')[0]!)) {
        // A namespaced reconciler owns this namespace: leave its stores alone.
        options.release(key);
        return {};
      }
      return reconcileStore(context, key, signal);
    },
    onFailure: (failure) => reportFailure(context, context.logger, failure),
  });
}
