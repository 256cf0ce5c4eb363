/**
 * The one owner of a store's failover timing: when the master was first declared lost and why, whether it is only
 * cut off from the operator, when this process promoted a replacement, and whether a move was a switchover this
 * process made (planned or requested). The health monitor, the pod watch and the reconcile phases report to it; the
 * status phase asks it for the `lastFailover` record. Losing it (restart, new term) only loses timing: the record is
 * still written from live roles.
 *
 * A switchover this process made is kept until a status shows its new master: until then the store's recorded master
 * (in the status, and in an informer that may lag the write) still names the old one, and nothing that happens to the
 * old pod then is a failover. Dragonfly's old master exits by design right after REPLTAKEOVER (code 0, 27-54 ms):
 * that exit, and the health monitor's verdict on the silent old master, are expected for a while and ignored.
 */
import type { KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { OperatorCutOff } from './status.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export type FailoverRecord = NonNullable<KVStoreStatus['lastFailover']>;

interface MasterDown {
  detectedAtMs: number;
  reason: string;
}

/** A switchover this process made. `reason` for a planned one (recorded), none for a requested one (not recorded). */
interface Move {
  from: string;
  to: string;
  reason?: string;
  /** The planned record, once settled: the same one until a status shows the move (no second record, no new time). */
  record?: FailoverRecord;
}

/**
 * How long after a switchover its old master's exit or silence is expected: longer than the old engine takes to exit
 * and its pod's status to show it (Dragonfly: tens of ms, then the kubelet's next status update), short enough that a
 * crash of that pod much later, should it be master again by then, is a failure like any other.
 */
export const EXPECTED_EXIT_WINDOW_MS = 60_000;

export class FailoverClock {
  private down?: MasterDown;
  private cutOff?: OperatorCutOff;
  private promotedAtMs?: number;
  private moved?: Move;
  /** The old master of the last switchover, whose exit or silence is no loss until `untilMs`. */
  private exitExpected?: { pod: string; untilMs: number };

  constructor(private readonly nowMs: () => number = Date.now) {}

  /**
   * The master is lost (monitor verdict, pod gone, process died). The first verdict's time and reason are kept. True
   * when new. False, and nothing kept, for `pod` exiting or going silent right after this process switched the master
   * away from it (that pod is no longer the master, whatever a lagging status says).
   */
  masterLost(reason: string, pod?: string): boolean {
    if (pod !== undefined && this.exitIsExpected(pod)) return false;
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

  /** Whether `pod` is the old master of a switchover this process made within EXPECTED_EXIT_WINDOW_MS. */
  exitIsExpected(pod: string): boolean {
    return this.exitExpected?.pod === pod && this.nowMs() < this.exitExpected.untilMs;
  }

  /** This process promoted a replacement for a lost master (the first promotion's time counts). */
  promoted(): void {
    this.promotedAtMs ??= this.nowMs();
    // An election is under way: whatever the old pod of an earlier switchover does now is judged as usual.
    this.exitExpected = undefined;
  }

  /** The master moved by a planned switchover (scale-down, rollout), not a failure: recorded with `reason`. */
  switchedOver(reason: string, move: { from: string; to: string }): void {
    this.movedBySwitchover({ ...move, reason });
  }

  /**
   * The master moved because a user asked (annotation): no lastFailover record at all, only status.master moves.
   * Kept until a status shows the new master, so a status write that failed (or an informer that has not delivered
   * it yet) does not turn the move into a failover on the next reconcile.
   */
  switchedOverOnRequest(move: { from: string; to: string }): void {
    this.movedBySwitchover(move);
  }

  private movedBySwitchover(move: Move): void {
    this.moved = move;
    this.exitExpected = { pod: move.from, untilMs: this.nowMs() + EXPECTED_EXIT_WINDOW_MS };
  }

  /** The master moved to `master` by a switchover this process made, not yet shown by a status. */
  switchedOverTo(master: string | undefined): boolean {
    return master !== undefined && this.moved?.to === master;
  }

  /**
   * The failover to record once a reconcile knows the current master. A master that is the recorded one (or the
   * first one) voids a down verdict: it answered again without a failover.
   */
  settle(recordedMaster: string | undefined, currentMaster: string | undefined): FailoverRecord | undefined {
    if (!currentMaster) return undefined;
    if (!recordedMaster || currentMaster === recordedMaster) {
      this.down = undefined;
      if (currentMaster === this.moved?.to) this.moved = undefined;
      return undefined;
    }
    if (this.moved) {
      if (currentMaster === this.moved.to) {
        if (this.moved.reason === undefined) return undefined;
        this.moved.record ??= this.record(recordedMaster, currentMaster, this.moved.reason);
        return this.moved.record;
      }
      // The master moved again since (a failover after the switchover): that move is recorded as usual.
      this.moved = undefined;
    }
    return this.record(recordedMaster, currentMaster, this.down?.reason ?? 'MasterLost');
  }

  private record(from: string, to: string, reason: string): FailoverRecord {
    const promotedAtMs = this.promotedAtMs ?? this.nowMs();
    const detectedAtMs = this.down?.detectedAtMs ?? promotedAtMs;
    return { time: rfc3339(new Date(promotedAtMs)), from, to, reason, durationMs: Math.max(0, promotedAtMs - detectedAtMs) };
  }

  /**
   * The status carrying the record was written: timing starts over. Returns whether it was an unplanned failover. A
   * switchover stays known until a status read back shows its master (settle).
   */
  recorded(): { unplanned: boolean } {
    const unplanned = this.moved?.record === undefined;
    this.down = undefined;
    this.promotedAtMs = undefined;
    return { unplanned };
  }
}
