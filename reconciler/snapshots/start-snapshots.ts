/**
 * The snapshot loop as the reconciler process runs it: keeps the scheduler's jobs in step with the KVStore informer
 * (a job per store with `spec.snapshot.cron`; replaced when the cron changes; removed with the cron or the store)
 * and runs each firing through runStoreSnapshot. Started once by main.ts; `stop()` is part of graceful shutdown.
 * The jobs exist in every instance (a new leader needs no warm-up); runs happen only during a leader term, given by
 * the leader-only runnable `runs`: its signal ends the term, aborts the saves in flight and stops their writes.
 */
import type { Registry } from 'prom-client';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { objectKey } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/client.js';
import { aborted, type Runnable } from '../../kube/runtime/runnable.js';
import { runStoreSnapshot, type SnapshotRunDeps } from './run-store-snapshot.js';
import { SnapshotMetrics } from './snapshot-metrics.js';
import { SnapshotScheduler } from './snapshot-scheduler.js';
import type { S3SnapshotSettings } from './upload-store-snapshot.js';

/** What ReconcilerOptions.snapshots may set (tests mostly). */
export interface SnapshotSettings {
  /** See SnapshotSchedulerOptions.patternFor. */
  patternFor?: (cron: string) => string;
  /** Bound on one BGSAVE; default DEFAULT_SNAPSHOT_TIMEOUT_MS (10 min). */
  timeoutMs?: number;
  pollIntervalMs?: number;
  /** s3:// dirs: credentials without a Secret, and test hooks. */
  s3?: S3SnapshotSettings;
  /** Bound on the final s3:// snapshot of a deleted store (shutdown-snapshot.ts); default 5 min. */
  shutdownTimeoutMs?: number;
}

export interface SnapshotLoopOptions extends Omit<SnapshotRunDeps, 'metrics' | 'snapshotTimeoutMs' | 'pollIntervalMs' | 'isLeader'>, SnapshotSettings {
  /** The reconciler's metrics registry. */
  registry: Registry;
  /** False for a store this instance must leave alone (its namespace is claimed by a namespaced reconciler). */
  ownsStore?: (key: string) => boolean;
}

export interface SnapshotLoop {
  scheduler: SnapshotScheduler;
  /** Leader-only (kube/runtime/manager.ts): snapshot runs happen only while it runs. */
  runs: Runnable;
  stop(): Promise<void>;
}

export function startSnapshotLoop(options: SnapshotLoopOptions): SnapshotLoop {
  const metrics = new SnapshotMetrics(options.registry);
  let term: AbortSignal | undefined;
  const inFlight = new Set<Promise<void>>();
  const leading = () => term !== undefined && !term.aborted;
  const deps: SnapshotRunDeps = { ...options, isLeader: leading, metrics, snapshotTimeoutMs: options.timeoutMs, pollIntervalMs: options.pollIntervalMs };
  const scheduler = new SnapshotScheduler({
    isLeader: leading,
    logger: options.logger,
    patternFor: options.patternFor,
    run: async (key, signal) => {
      const termSignal = term;
      if (!termSignal || (options.ownsStore && !options.ownsStore(key))) return;
      const run = runStoreSnapshot(deps, key, AbortSignal.any([signal, termSignal]));
      inFlight.add(run);
      try {
        await run;
      } finally {
        inFlight.delete(run);
      }
    },
  });
  const runs: Runnable = {
    name: 'snapshots',
    needsLeaderElection: true,
    async start(signal) {
      term = signal;
      await aborted(signal);
      // The term is over when its saves stopped waiting: the next term never overlaps them.
      await Promise.allSettled([...inFlight]);
      if (term === signal) term = undefined;
    },
  };
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
  return { scheduler, runs, stop: () => scheduler.stop() };
}
