/** What every reconcile of every store shares: clients, caches, builders, and the small per-store memory. */
import type { KeyPairPem } from '../../certs/authority.js';
import type { Logger } from '../../shared/logger.js';
import type { KVStore, KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { DesiredObjects } from '../desired/index.js';
import type { DataBounds, EngineTls } from '../replication/index.js';
import type { StoreEventRecorder } from './events.js';
import type { StoreInformers } from './informers.js';
import type { KubeClient } from '../../kube/client.js';
import type { ObservedPod } from './observed.js';
import type { OperatorCutOff } from './status.js';

export interface MasterDownRecord {
  detectedAtMs: number;
  reason: string;
}

/** Per-store memory. Everything here may be lost (restart) without harm: it only saves work or keeps timing. */
export interface StoreRuntime {
  /** The last password the pods were known to accept (tried second during a rotation). */
  lastPassword?: string;
  /** The health monitor declared the master down; cleared once a master is chosen. */
  masterDown?: MasterDownRecord;
  /** The master is silent to the operator only (its replicas still hear it); cleared when it answers or is declared down. */
  operatorCutOff?: OperatorCutOff;
  /** Upper bounds on the data of pods that left the master (replication/data-bounds.ts), from the health monitor. */
  dataBounds?: DataBounds;
  /** When this process promoted a new master that status does not record yet. */
  promotedAtMs?: number;
  /** Set when the master moved by a planned switchover (scale-down, rollout), not a failure. */
  switchoverReason?: string;
  /** apply-desired.ts appliedStateKey of the last apply pass that found nothing to change. */
  appliedStateKey?: string;
  /** Hash of the live settings last applied to all pods. */
  liveSettingsHash?: string;
  /** CA to verify the engines' TLS with, when TLS is on. */
  tlsCaPem?: string;
  /** When this process last recreated each pod out of its restart back-off (restart-awaited-pods.ts), by pod name. */
  backOffRestartsMs?: Map<string, number>;
  pdbAbsent?: boolean;
  networkPolicyAbsent?: boolean;
  readServiceAbsent?: boolean;
}

export interface StoreMetricsSink {
  failovers: { inc(labels: { namespace: string; name: string }): void };
  observeStore(key: string, status: KVStoreStatus): void;
}

export interface ControllerContext {
  client: KubeClient;
  informers: StoreInformers;
  events: StoreEventRecorder;
  logger: Logger;
  buildDesired: (store: KVStore) => DesiredObjects;
  /** The operator CA: issues store certificates and verifies engine TLS. */
  loadCa: () => Promise<KeyPairPem | undefined>;
  probeTimeoutMs: number;
  runtimes: Map<string, StoreRuntime>;
  metrics?: StoreMetricsSink;
  /** Keep the health monitor pointed at the current master. */
  watchMaster?: (key: string, storeName: string, namespace: string, pods: ObservedPod[], master: string, password: string | undefined, tls: Omit<EngineTls, 'servername'> | undefined, downAfterMilliseconds: number) => void;
  onStoreGone?: (key: string) => void;
}
