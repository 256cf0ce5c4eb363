/**
 * The snapshot loop as the reconciler process runs it: keeps the scheduler's jobs in step with the KVStore informer
 * (a job per store with `spec.snapshot.cron`; replaced when the cron changes; removed with the cron or the store)
 * and runs each firing through runStoreSnapshot. Started once by main.ts; `stop()` is part of graceful shutdown.
 */
import type { Registry } from 'prom-client';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { objectKey } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/client.js';
import { runStoreSnapshot, type SnapshotRunDeps } from './run-store-snapshot.js';
import { SnapshotMetrics } from './snapshot-metrics.js';
import { SnapshotScheduler } from './snapshot-scheduler.js';

/** What ReconcilerOptions.snapshots may set (tests mostly). */
export interface SnapshotSettings {
  /** See SnapshotSchedulerOptions.patternFor. */
  patternFor?: (cron: string) => string;
  /** Bound on one BGSAVE; default DEFAULT_SNAPSHOT_TIMEOUT_MS (10 min). */
  timeoutMs?: number;
  pollIntervalMs?: number;
}

export interface SnapshotLoopOptions extends Omit<SnapshotRunDeps, 'metrics' | 'snapshotTimeoutMs' | 'pollIntervalMs'>, SnapshotSettings {
  /** The reconciler's metrics registry. */
  registry: Registry;
  /** False for a store this instance must leave alone (its namespace is claimed by a namespaced reconciler). */
  ownsStore?: (key: string) => boolean;
}

export interface SnapshotLoop {
  scheduler: SnapshotScheduler;
  stop(): Promise<void>;
}

export function startSnapshotLoop(options: SnapshotLoopOptions): SnapshotLoop {
  const metrics = new SnapshotMetrics(options.registry);
  const deps: SnapshotRunDeps = { ...options, metrics, snapshotTimeoutMs: options.timeoutMs, pollIntervalMs: options.pollIntervalMs };
  const scheduler = new SnapshotScheduler({
    isLeader: options.isLeader,
    logger: options.logger,
    patternFor: options.patternFor,
    run: async (key, signal) => {
      if (options.ownsStore && !options.ownsStore(key)) return;
      await runStoreSnapshot(deps, key, signal);
    },
  });
  const forget = (key: string) => {
    scheduler.remove(key);
    metrics.forgetStore(key);
  };
  const sync = (object: KubeObject) => {
    const key = objectKey(object);
    if (object.metadata?.deletionTimestamp) forget(key);
    else scheduler.set(key, (object as KVStore).spec?.snapshot?.cron);
  };
  options.informers.stores.on((event, object) => {
    if (event === 'delete') forget(objectKey(object));
    else sync(object);
  });
  // The informer has listed already: its existing stores produced their events before this handler was added.
  for (const store of options.informers.stores.list()) sync(store);
  return { scheduler, stop: () => scheduler.stop() };
}
