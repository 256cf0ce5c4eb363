/**
 * Two masters at once (a replica promoted by hand, a partition healed): which one keeps the role, judged by the writes
 * each took since their histories split. Pure. The election itself is controller/plan-topology.ts.
 */
import type { EngineState } from './info.js';

export interface PodCandidate {
  pod: string;
  ordinal: number;
  host: string;
  port: number;
  /** deletionTimestamp set, DisruptionTarget condition, or node lost: never promote a pod on its way out. */
  terminating?: boolean;
  /** Undefined when the probe could not reach the pod. */
  state?: EngineState;
}

export interface SplitBrainDecision {
  kind: 'split-brain' | 'none';
  winner?: PodCandidate;
  /** Masters that must be demoted to replicas of the winner (split brain). */
  demote: PodCandidate[];
  rejected: { pod: string; reason: string }[];
  reason: string;
}

export interface SplitComparison {
  /** Replication bytes each side took since the two histories diverged. */
  writesA: number;
  writesB: number;
  sharedHistory: boolean;
}

/**
 * Compares two masters through their replication IDs: a pod promoted with REPLICAOF NO ONE keeps the old ID as
 * replid2 and records where its own history starts (second_repl_offset), which is the split point.
 */
export function compareSinceSplit(a: EngineState, b: EngineState): SplitComparison {
  const since = (state: EngineState, split: number) => Math.max(0, state.replicationOffset - split);
  if (a.masterReplid !== '' && a.masterReplid === b.masterReplid) {
    const split = Math.min(a.replicationOffset, b.replicationOffset);
    return { writesA: since(a, split), writesB: since(b, split), sharedHistory: true };
  }
  if (b.masterReplid2 === a.masterReplid && b.secondReplOffset > 0) {
    const split = b.secondReplOffset - 1;
    return { writesA: since(a, split), writesB: since(b, split), sharedHistory: true };
  }
  if (a.masterReplid2 === b.masterReplid && a.secondReplOffset > 0) {
    const split = a.secondReplOffset - 1;
    return { writesA: since(a, split), writesB: since(b, split), sharedHistory: true };
  }
  const zeroId = /^0+$/;
  if (a.masterReplid2 !== '' && !zeroId.test(a.masterReplid2) && a.masterReplid2 === b.masterReplid2) {
    return { writesA: since(a, a.secondReplOffset - 1), writesB: since(b, b.secondReplOffset - 1), sharedHistory: true };
  }
  return { writesA: a.replicationOffset, writesB: b.replicationOffset, sharedHistory: false };
}

/**
 * Several masters: the one with more writes since the split stays, every other one is demoted. On a tie nobody has
 * lost anything yet, so `recordedMaster` (status.master) keeps the role: clients are connected to it, and a pod
 * promoted by hand a moment ago must not take the role just because its ordinal is lower. Then the lowest ordinal.
 */
export function resolveSplitBrain(masters: PodCandidate[], recordedMaster?: string): SplitBrainDecision {
  const usable = masters.filter((m) => m.state && !m.terminating);
  if (usable.length === 0) return { kind: 'none', demote: [], rejected: [], reason: 'no reachable master' };
  const promoted = promotedOverOthers(usable, recordedMaster);
  if (promoted) {
    const demote = masters.filter((m) => m !== promoted && m.state);
    return {
      kind: 'split-brain',
      winner: promoted,
      demote,
      rejected: demote.map((m) => ({ pod: m.pod, reason: `lost the role to ${promoted.pod}, promoted from its history` })),
      reason: `${masters.length} masters: ${promoted.pod}, the recorded master, was promoted from the history of ${demote.map((m) => m.pod).join(', ')} and keeps the role; demoting them`,
    };
  }
  let best = usable[0]!;
  const notes: string[] = [];
  for (const other of usable.slice(1)) {
    const cmp = compareSinceSplit(best.state!, other.state!);
    const otherWins = cmp.writesB > cmp.writesA || (cmp.writesB === cmp.writesA && winsTie(other, best, recordedMaster));
    const basis = cmp.sharedHistory ? 'since the split' : 'in total (no shared history)';
    notes.push(`${best.pod} ${cmp.writesA} vs ${other.pod} ${cmp.writesB} bytes written ${basis}`);
    if (otherWins) best = other;
  }
  const demote = masters.filter((m) => m !== best && m.state);
  return {
    kind: 'split-brain',
    winner: best,
    demote,
    rejected: demote.map((m) => ({ pod: m.pod, reason: whyDemoted(m, best, recordedMaster) })),
    reason: `${masters.length} masters: ${best.pod} keeps the role (${notes.join('; ')}); demoting ${demote.map((m) => m.pod).join(', ')}`,
  };
}

/**
 * The recorded master when it was promoted from every other master's history (its replid2 is their replid): the
 * operator declared them lost and promoted it with every acknowledged write. What an old master writes after that
 * is what clients queued on it while it hung, or sent it while cut off from its replicas: never acknowledged through
 * a replica, and counting those bytes as "writes since the split" would hand the role back and wipe the writes the
 * promoted master acknowledged since (seen: a SIGSTOPped master thawed with a burst of queued SETs). A master
 * promoted by hand is not the recorded one, so the write counts below still judge it.
 */
function promotedOverOthers(usable: PodCandidate[], recordedMaster: string | undefined): PodCandidate | undefined {
  const recorded = usable.find((m) => m.pod === recordedMaster);
  if (!recorded?.state || usable.length < 2) return undefined;
  const zeroId = /^0*$/;
  const replid2 = recorded.state.masterReplid2;
  if (zeroId.test(replid2)) return undefined;
  return usable.every((m) => m === recorded || m.state!.masterReplid === replid2) ? recorded : undefined;
}

function whyDemoted(loser: PodCandidate, winner: PodCandidate, recordedMaster: string | undefined): string {
  if (!loser.state || !winner.state) return 'unreachable';
  const cmp = compareSinceSplit(winner.state, loser.state);
  if (cmp.writesB < cmp.writesA) return 'fewer writes since the split';
  return winner.pod === recordedMaster ? `no more writes since the split than ${winner.pod}, the recorded master` : `tie with ${winner.pod}, which has the lower ordinal`;
}

function winsTie(challenger: PodCandidate, holder: PodCandidate, recordedMaster: string | undefined): boolean {
  if (holder.pod === recordedMaster) return false;
  if (challenger.pod === recordedMaster) return true;
  return challenger.ordinal < holder.ordinal;
}
