/**
 * The reconciler's small leader-only runnables: the health monitor (only the leader watches masters) and the
 * periodic resync. And the elector the manager campaigns with: the leader Lease, the namespace claim for a
 * `--namespace` reconciler, or none (this instance leads from start to stop).
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeClient } from '../../kube/client.js';
import { LeaseLock } from '../../kube/leader-election.js';
import type { ManagerOptions } from '../../kube/runtime/manager.js';
import { runnableOf, type Runnable } from '../../kube/runtime/runnable.js';
import type { HealthMonitor } from '../replication/index.js';
import { createNamespaceClaim } from './namespace-claim.js';
import type { StoreMemories } from './store-memory.js';

export const LEADER_LEASE_NAME = 'redwing-reconciler';

/**
 * The leader lease is short, so a failover does not wait for a dead leader's lease: a standby takes over within the
 * lease duration plus up to two retry periods of the leader's death (about 2.5-3 s), then acts on what it sees
 * (issue 18: master replaced within downAfterMilliseconds + 3 s when the leader dies with it). The leader steps down
 * when it has not renewed for the renew deadline, 0.5 s before any standby may take over. The price: two lease
 * writes a second per leader, and a leader whose API server stalls for 1.5 s hands over.
 */
export const LEADER_LEASE_SECONDS = 2;
export const LEADER_RETRY_PERIOD_MS = 500;
export const LEADER_RENEW_DEADLINE_MS = 1500;

/** Watches masters while leading. A term starts from live state, not from what an earlier term remembered. */
export function healthMonitorRunnable(monitor: HealthMonitor, memories: StoreMemories): Runnable {
  return runnableOf('health-monitor', true, () => {
    memories.clear();
    monitor.start();
    return () => monitor.stop();
  });
}

/** Every store is reconciled at least once a period, whatever the events said. */
export function resyncRunnable(periodMs: number, resync: () => void): Runnable {
  return runnableOf('resync', true, () => {
    const timer = setInterval(resync, periodMs);
    timer.unref();
    return () => clearInterval(timer);
  });
}

export interface ElectionSettings {
  client: KubeClient;
  identity: string;
  logger: Logger;
  /** A namespaced reconciler claims this namespace instead of taking the cluster-wide lease. */
  namespace?: string;
  leaderElect: boolean;
  operatorNamespace: string;
  leaseDurationSeconds?: number;
}

/**
 * A longer lease (`--lease-duration`, for an API server whose writes stall for more than a second) keeps the same
 * proportions: the leader steps down a quarter of the lease before any standby may take over.
 */
export function leaderLeaseTimings(seconds = LEADER_LEASE_SECONDS): { leaseDurationSeconds: number; renewDeadlineMs: number } {
  return { leaseDurationSeconds: seconds, renewDeadlineMs: Math.max(LEADER_RENEW_DEADLINE_MS, seconds * 750) };
}

export function leaderElectionFor(settings: ElectionSettings): ManagerOptions['leaderElection'] {
  const { client, identity, logger, leaseDurationSeconds } = settings;
  if (settings.namespace) {
    const namespace = settings.namespace;
    return (callbacks) => createNamespaceClaim({ client, namespace, identity, logger, leaseDurationSeconds, ...callbacks });
  }
  if (!settings.leaderElect) return undefined;
  return (callbacks) => new LeaseLock({
    client, namespace: settings.operatorNamespace, name: LEADER_LEASE_NAME, identity, logger,
    ...leaderLeaseTimings(leaseDurationSeconds), retryPeriodMs: LEADER_RETRY_PERIOD_MS,
    ...callbacks,
  });
}
