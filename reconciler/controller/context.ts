/** What every reconcile of every store shares: clients, caches, builders, and the small per-store memory. */
import type { KeyPairPem } from '../../certs/authority.js';
import type { Logger } from '../../shared/logger.js';
import type { KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { DesiredObjects, ResolvedStore } from '../desired/index.js';
import type { StoreEventRecorder } from './events.js';
import type { StoreInformers } from './informers.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import type { MasterWatchRequest } from './master-watch.js';
import type { S3SnapshotSettings } from '../snapshots/upload-store-snapshot.js';
import type { StoreMemories } from './store-memory.js';

export interface StoreMetricsSink {
  failovers: { inc(labels: { namespace: string; store: string }): void };
  observeStore(key: string, status: KVStoreStatus): void;
}

export interface ControllerContext {
  client: KubeClient;
  informers: StoreInformers;
  events: StoreEventRecorder;
  logger: Logger;
  /** Namespace the reconciler runs in (the NetworkPolicy admits it). */
  operatorNamespace: string;
  buildDesired: (store: ResolvedStore) => DesiredObjects;
  /** The operator CA: issues store certificates and verifies engine TLS. */
  loadCa: () => Promise<KeyPairPem | undefined>;
  /**
   * The operator's client certificate, for stores that require one (client-certificates.ts). Optional so a context
   * built for a test without TLS stores needs none; without it such a store's engines refuse the operator.
   */
  loadClientCertificate?: () => Promise<KeyPairPem | undefined>;
  probeTimeoutMs: number;
  memories: StoreMemories;
  metrics?: StoreMetricsSink;
  /** Keep the health monitor pointed at the current master. */
  watchMaster?: (request: MasterWatchRequest) => void;
  onStoreGone?: (key: string) => void;
  /** The KVBackups (spec.restore.backup names one); absent where the reconciler runs without them. */
  backups?: Informer;
  /** spec.restore: the address pods dial to receive the data (default defaultFeedHost()), S3 credentials without a Secret. */
  restore?: { feedHost?: string; environment?: NodeJS.ProcessEnv };
  /** The final s3:// snapshot when a store is deleted: its bound (default 5 min), S3 credentials without a Secret, test hooks. */
  shutdownSnapshot?: { timeoutMs?: number; s3?: S3SnapshotSettings };
}
