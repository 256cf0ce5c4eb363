/**
 * The rows the server's feeds send and the page draws, declared once for both sides. It lives in web/ because the
 * compiled page can load only web/'s own modules (web-assets.ts serves that folder flat); the server imports these
 * types from here, and being types only, nothing of this file reaches either side's JavaScript.
 */

export interface ManagedBy {
  /** `cluster-wide`, `namespaced` (a live claim on the store's namespace), or `unknown` (the user may not read Leases) */
  scope: 'cluster-wide' | 'namespaced' | 'unknown';
  /** the namespaced reconciler holding the claim, or the cluster-wide reconciler holding the leader Lease */
  holder?: string;
}

/** One row of the store list: what `kubectl get kvs` shows, plus which operator instance manages the store. */
export interface StoreRow {
  key: string;
  namespace: string;
  name: string;
  engine: string;
  replicas: number | null;
  ready: number | null;
  master: string;
  phase: string;
  createdAt: string;
  deleting: boolean;
  managedBy: ManagedBy;
}

/** A store's pod on its page. */
export interface PodRow {
  name: string;
  phase: string;
  ready: boolean;
  role: string;
  restarts: number;
  podIP: string;
  deleting: boolean;
}

/** An Event about a store or its pods. */
export interface EventRow {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  time: string;
}

/** A KVBackup naming the store. */
export interface BackupRow {
  name: string;
  phase: string;
  url: string;
  sizeBytes: number | null;
  durationMs: number | null;
  pod: string;
  created: string;
  /** the Complete condition's message: why a backup failed */
  message: string;
}
