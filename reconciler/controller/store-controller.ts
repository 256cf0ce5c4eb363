/**
 * The KVStore controller: the generic runner (kube/runtime/controller.ts) around reconcileStore. A failed reconcile
 * is logged and shown on the store as a Warning Event `ReconcileFailed` naming the phase that failed, so
 * `kubectl describe kvs/x` says why a store does not progress; repeats bump the Event's count.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../kube/client.js';
import { Controller, type ReconcileFailure } from '../../kube/runtime/controller.js';
import type { ControllerContext } from './context.js';
import type { ReconcilerMetrics } from './metrics.js';
import type { NamespaceClaimWatcher } from './namespace-claim.js';
import { reconcileStore } from './reconcile-store.js';

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
  await context.events.record(store as KubeObject, { type: 'Warning', reason: 'ReconcileFailed', message: reconcileFailedMessage(failure) });
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
