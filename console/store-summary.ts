/**
 * The row of the console's store list: what `kubectl get kvs` shows, plus which operator instance manages the store.
 * Pure: the server feeds it the cached store and the namespace-claim Leases, and re-runs it when either changes.
 */
import type { KVStore } from '../shared/schema/kvstore.js';
import type { ManagedBy, StoreRow } from './web/feed-rows.js';

export type { ManagedBy, StoreRow } from './web/feed-rows.js';

/**
 * The Lease a namespaced reconciler holds on its namespace (reconciler/controller/namespace-claim.ts). The console may
 * not import reconciler/ (lint boundary), so it reads the Lease by its label, which is part of the cluster contract.
 */
export const NAMESPACE_CLAIM_LABEL = 'redwing.dev/namespace-claim';
/** The cluster-wide reconciler's leader election Lease (reconciler/controller/leader-runnables.ts), same reason. */
export const OPERATOR_NAMESPACE = 'redwing-system';
export const LEADER_LEASE_NAME = 'redwing-reconciler';

export interface ClaimLease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** A claim counts while its holder renews it within the lease duration, as the cluster-wide reconciler judges it. */
export function isClaimLive(lease: ClaimLease | undefined, nowMs: number): boolean {
  const holder = lease?.spec?.holderIdentity;
  const renewTime = lease?.spec?.renewTime;
  if (!holder || !renewTime) return false;
  return Date.parse(renewTime) + (lease.spec?.leaseDurationSeconds ?? 15) * 1000 > nowMs;
}

/**
 * `claims` undefined: the user could not read Leases, so who manages the store is not known. `leader`: the
 * cluster-wide reconciler's leader Lease, when it runs with leader election and the user may read it.
 */
export function managedByOf(namespace: string, claims: ClaimLease[] | undefined, nowMs: number, leader?: ClaimLease): ManagedBy {
  if (!claims) return { scope: 'unknown' };
  const live = claims.find((lease) => lease.metadata?.namespace === namespace && isClaimLive(lease, nowMs));
  if (live) return { scope: 'namespaced', holder: live.spec?.holderIdentity };
  return isClaimLive(leader, nowMs) ? { scope: 'cluster-wide', holder: leader?.spec?.holderIdentity } : { scope: 'cluster-wide' };
}

export function summarizeStore(store: KVStore, claims: ClaimLease[] | undefined, nowMs: number, leader?: ClaimLease): StoreRow {
  const namespace = store.metadata?.namespace ?? 'default';
  const name = store.metadata?.name ?? '';
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    engine: store.spec?.engine ?? '',
    replicas: store.spec?.replicas ?? null,
    ready: store.status?.readyReplicas ?? null,
    master: store.status?.master ?? '',
    phase: store.status?.phase ?? 'Pending',
    createdAt: String(store.metadata?.creationTimestamp ?? ''),
    deleting: Boolean(store.metadata?.deletionTimestamp),
    managedBy: managedByOf(namespace, claims, nowMs, leader),
  };
}
