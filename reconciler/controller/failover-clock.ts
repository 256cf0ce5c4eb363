/**
 * The one owner of a store's failover timing: when the master was first declared lost and why, whether it is only
 * cut off from the operator, when this process promoted a replacement, and whether a move was a planned switchover.
 * The health monitor, the pod watch and the reconcile phases report to it; the status phase asks it for the
 * `lastFailover` record. Losing it (restart, new term) only loses timing: the record is still written from live roles.
 */
import type { KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { OperatorCutOff } from './status.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export type FailoverRecord = NonNullable<KVStoreStatus['lastFailover']>;

interface MasterDown {
  detectedAtMs: number;
  reason: string;
}

export class FailoverClock {
  private down?: MasterDown;
  private cutOff?: OperatorCutOff;
  private promotedAtMs?: number;
  private switchoverReason?: string;
  /** A requested switchover to this pod, which is not recorded at all (see switchedOver). */
  private unrecordedTo?: string;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** The master is lost (monitor verdict, pod gone, process died). The first verdict's time and reason are kept. True when new. */
  masterLost(reason: string): boolean {
    this.cutOff = undefined;
    if (this.down) return false;
    this.down = { detectedAtMs: this.nowMs(), reason };
    return true;
  }

  get masterDownConfirmed(): boolean {
    return this.down !== undefined;
  }

  get masterDownReason(): string | undefined {
    return this.down?.reason;
  }

  /** The master is silent to the operator only: its replicas still hear it, so no failover. */
  cutOffFromOperator(cutOff: OperatorCutOff): void {
    this.cutOff = cutOff;
  }

  /** The master answers the operator again. True when it had been cut off. */
  masterAnswers(): boolean {
    const wasCutOff = this.cutOff !== undefined;
    this.cutOff = undefined;
    return wasCutOff;
  }

  get operatorCutOff(): OperatorCutOff | undefined {
    return this.cutOff;
  }

  /** This process promoted a replacement for a lost master (the first promotion's time counts). */
  promoted(): void {
    this.promotedAtMs ??= this.nowMs();
  }

  /** The master moved by a planned switchover (scale-down, rollout), not a failure. */
  switchedOver(reason: string): void {
    this.switchoverReason = reason;
  }

  /**
   * The master moved to `to` because a user asked (annotation): no lastFailover record at all, only status.master
   * moves. Kept until a status shows `to` as the master, so a status write that failed does not turn the move into
   * a failover on the next reconcile.
   */
  switchedOverOnRequest(to: string): void {
    this.unrecordedTo = to;
  }

  /**
   * The failover to record once a reconcile knows the current master. A master that is the recorded one (or the
   * first one) voids a down verdict: it answered again without a failover.
   */
  settle(recordedMaster: string | undefined, currentMaster: string | undefined): FailoverRecord | undefined {
    if (!currentMaster) return undefined;
    if (!recordedMaster || currentMaster === recordedMaster) {
      this.down = undefined;
      if (currentMaster === this.unrecordedTo) this.unrecordedTo = undefined;
      return undefined;
    }
    if (this.unrecordedTo !== undefined) {
      if (currentMaster === this.unrecordedTo) return undefined;
      // The master moved again since (a failover after the requested move): that move is recorded as usual.
      this.unrecordedTo = undefined;
    }
    const promotedAtMs = this.promotedAtMs ?? this.nowMs();
    const detectedAtMs = this.down?.detectedAtMs ?? promotedAtMs;
    return {
      time: rfc3339(new Date(promotedAtMs)),
      from: recordedMaster,
      to: currentMaster,
      reason: this.switchoverReason ?? this.down?.reason ?? 'MasterLost',
      durationMs: Math.max(0, promotedAtMs - detectedAtMs),
    };
  }

  /** The status carrying the record was written: start over. Returns whether it was an unplanned failover. */
  recorded(): { unplanned: boolean } {
    const unplanned = this.switchoverReason === undefined;
    this.down = undefined;
    this.promotedAtMs = undefined;
    this.switchoverReason = undefined;
    return { unplanned };
  }
}
