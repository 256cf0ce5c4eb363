/**
 * A namespaced reconciler (`--namespace NS`) claims NS with a Lease (`redwing-namespace-claim`, labelled
 * `redwing.dev/namespace-claim=true`); holding that Lease is also its leader election. A cluster-wide reconciler
 * watches those Leases and leaves every store in a namespace with a live claim alone, so the two never act on one
 * store. A claim stops counting once it is released or not renewed for its lease duration.
 */
import type { Logger } from '../../shared/logger.js';
import type { Informer } from '../../kube/informer.js';
import { createReconcilerInformer } from './informers.js';
import { LeaseLock, type LeaseObject } from '../../kube/leader-election.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient } from '../../kube/client.js';

export const NAMESPACE_CLAIM_LEASE = 'redwing-namespace-claim';
export const LABEL_NAMESPACE_CLAIM = 'redwing.dev/namespace-claim';

/** True while the claim's holder is set and its last renewal is within the lease duration. Pure. */
export function isClaimLive(lease: LeaseObject | undefined, nowMs: number): boolean {
  const holder = lease?.spec?.holderIdentity;
  const renewTime = lease?.spec?.renewTime;
  if (!holder || !renewTime) return false;
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  return Date.parse(renewTime) + durationMs > nowMs;
}

export interface NamespaceClaimOptions {
  client: KubeClient;
  namespace: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  logger?: Logger;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

/** The claim a namespaced reconciler holds on its namespace. */
export function createNamespaceClaim(options: NamespaceClaimOptions): LeaseLock {
  return new LeaseLock({
    ...options,
    name: NAMESPACE_CLAIM_LEASE,
    labels: { [LABEL_NAMESPACE_CLAIM]: 'true' },
  });
}

/** What a cluster-wide reconciler knows about claimed namespaces. */
export class NamespaceClaimWatcher {
  readonly informer: Informer<LeaseObject>;

  constructor(client: KubeClient, logger?: Logger) {
    this.informer = createReconcilerInformer<LeaseObject>(client, {
      name: 'namespace-claims',
      path: paths.allLeases(),
      labelSelector: `${LABEL_NAMESPACE_CLAIM}=true`,
      logger,
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Whether another reconciler owns `namespace` right now. */
  isClaimed(namespace: string, nowMs = Date.now()): boolean {
    return isClaimLive(this.informer.get(namespace, NAMESPACE_CLAIM_LEASE), nowMs);
  }

  /** Called when a claim appears, changes or goes away (the caller re-enqueues that namespace's stores). */
  onChange(handler: (namespace: string) => void): void {
    this.informer.on((_event, lease) => {
      const namespace = lease.metadata?.namespace;
      if (namespace && lease.metadata?.name === NAMESPACE_CLAIM_LEASE) handler(namespace);
    });
  }
}
