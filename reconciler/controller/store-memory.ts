/**
 * What this process remembers of each store between reconciles, cut by the phase that owns each part. All of it
 * may be lost (restart, a new leader term) without harm: it only saves work or keeps timing, and every reconcile
 * derives the rest from live state again.
 */
import type { Condition } from '../../shared/schema/kvstore.js';
import type { DataBounds } from '../replication/index.js';
import { FailoverClock } from './failover-clock.js';

/** Owned by the secrets phase; read by the observe phase and by scheduled snapshots. */
export interface CredentialMemory {
  /** The last password the pods were known to accept (tried second during a rotation). */
  lastPassword?: string;
  /** CA to verify the engines' TLS with, when TLS is on. */
  tlsCaPem?: string;
  /** The operator's client certificate, when the store requires client certificates (client-certificates.ts). */
  tlsClient?: { certPem: string; keyPem: string };
}

/** Owned by the topology phase. */
export interface ElectionMemory {
  /** Upper bounds on the data of pods that left the master (replication/data-bounds.ts), from the health monitor. */
  dataBounds?: DataBounds;
  /** When this process last recreated each pod out of its restart back-off (restart-awaited-pods.ts), by pod name. */
  backOffRestartsMs?: Map<string, number>;
  /** What the election last waited for (logged once per change, not on every reconcile). */
  lastWaiting?: string;
}

/** Owned by the apply phase. */
export interface AppliedMemory {
  /** apply-desired.ts appliedStateKey of the last apply pass that found nothing to change. */
  stateKey?: string;
  pdbAbsent?: boolean;
  networkPolicyAbsent?: boolean;
  readServiceAbsent?: boolean;
}

/** Owned by the engine operations phase. */
export interface LiveSettingsMemory {
  /** Hash of the live settings last applied to all pods. */
  hash?: string;
}

/** Owned by the runner's failure report (store-controller.ts); cleared by the status phase's next write. */
export interface ReconcileMemory {
  /** The Reconciled=False condition last written, until a status write replaces it. */
  failedCondition?: Condition;
}

export interface StoreMemory {
  failover: FailoverClock;
  reconcile: ReconcileMemory;
  election: ElectionMemory;
  credentials: CredentialMemory;
  applied: AppliedMemory;
  liveSettings: LiveSettingsMemory;
}

export class StoreMemories {
  private readonly byKey = new Map<string, StoreMemory>();

  get(key: string): StoreMemory | undefined {
    return this.byKey.get(key);
  }

  /** The store's memory, created empty on first use. */
  ensure(key: string): StoreMemory {
    let memory = this.byKey.get(key);
    if (!memory) {
      memory = { failover: new FailoverClock(), reconcile: {}, election: {}, credentials: {}, applied: {}, liveSettings: {} };
      this.byKey.set(key, memory);
    }
    return memory;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  /** A new term starts from live state, not from what the previous term remembered. */
  clear(): void {
    this.byKey.clear();
  }
}
