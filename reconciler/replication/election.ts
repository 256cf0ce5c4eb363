/**
 * Pure master election. Input: what the probes saw on each pod plus what Kubernetes says (ordinal, terminating).
 * Output: a decision and a human reason, so the controller can record it in status and Events.
 */
import { hasData, type EngineState } from './info.js';

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

export interface LostMaster {
  host: string;
  port: number;
  /** Other names replicas may use for it (pod DNS name, pod IP). */
  aliases?: string[];
  /** The replication ID the lost master served, when it was last seen. */
  replid?: string;
}

export type DecisionKind = 'failover' | 'resume' | 'cold-start' | 'bootstrap' | 'keep' | 'split-brain' | 'none';

export interface ElectionDecision {
  kind: DecisionKind;
  winner?: PodCandidate;
  /** Masters that must be demoted to replicas of the winner (split brain). */
  demote: PodCandidate[];
  rejected: { pod: string; reason: string }[];
  reason: string;
}

export interface ElectOptions {
  lostMaster?: LostMaster;
}

function pointsAt(state: EngineState, lost: LostMaster): boolean {
  if (state.role !== 'replica' || state.masterPort !== lost.port) return false;
  return state.masterHost === lost.host || (lost.aliases ?? []).includes(state.masterHost ?? '');
}

function sharesHistory(state: EngineState, lost: LostMaster): boolean {
  return lost.replid !== undefined && lost.replid !== '' && (state.masterReplid === lost.replid || state.masterReplid2 === lost.replid);
}

/** Why a pod may not become master, or undefined when it may. */
export function ineligibility(candidate: PodCandidate, lostMaster?: LostMaster): string | undefined {
  const state = candidate.state;
  if (!state) return 'unreachable';
  if (candidate.terminating) return 'terminating';
  if (state.loading) return 'loading its dataset';
  if (state.masterSyncInProgress) return 'full sync in progress';
  if (lostMaster) {
    if (state.role === 'master') return 'already a master';
    if (!pointsAt(state, lostMaster) && !sharesHistory(state, lostMaster)) {
      return `was not replicating from ${lostMaster.host}:${lostMaster.port}`;
    }
  }
  return undefined;
}

/** Most data first: a dataset beats an empty pod, then offset, then last save, then key count, then lowest ordinal. */
export function compareByData(a: PodCandidate, b: PodCandidate): number {
  const sa = a.state!;
  const sb = b.state!;
  return Number(hasData(sb)) - Number(hasData(sa))
    || sb.replicationOffset - sa.replicationOffset
    || sb.rdbLastSaveTime - sa.rdbLastSaveTime
    || sb.keys - sa.keys
    || a.ordinal - b.ordinal;
}

/** Failover ranks by replication offset only (all candidates followed one master), ties to the lowest ordinal. */
function compareForFailover(a: PodCandidate, b: PodCandidate): number {
  const sa = a.state!;
  const sb = b.state!;
  return Number(hasData(sb)) - Number(hasData(sa)) || sb.replicationOffset - sa.replicationOffset || a.ordinal - b.ordinal;
}

function describe(candidate: PodCandidate): string {
  const state = candidate.state!;
  return `${candidate.pod} (offset ${state.replicationOffset}, ${state.keys} keys)`;
}

/**
 * With `lostMaster`: the failover election among the replicas that followed it. Without: the cold-start election
 * (every pod fenced), where the pod with the most data wins rather than ordinal 0.
 */
export function electMaster(candidates: PodCandidate[], options: ElectOptions = {}): ElectionDecision {
  const rejected: { pod: string; reason: string }[] = [];
  const eligible: PodCandidate[] = [];
  for (const candidate of candidates) {
    const reason = ineligibility(candidate, options.lostMaster);
    if (reason) rejected.push({ pod: candidate.pod, reason });
    else eligible.push(candidate);
  }
  const kind: DecisionKind = options.lostMaster ? 'failover' : 'cold-start';
  if (eligible.length === 0) {
    return { kind: 'none', demote: [], rejected, reason: `no eligible pod: ${rejected.map((r) => `${r.pod} ${r.reason}`).join('; ') || 'no pods'}` };
  }
  const ranked = [...eligible].sort(options.lostMaster ? compareForFailover : compareByData);
  const winner = ranked[0]!;
  const runnerUp = ranked[1];
  const basis = options.lostMaster ? 'highest replication offset among its replicas' : 'most data after a cold start';
  const versus = runnerUp ? `, ahead of ${describe(runnerUp)}` : '';
  return { kind, winner, demote: [], rejected, reason: `${describe(winner)} has the ${basis}${versus}` };
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
export function resolveSplitBrain(masters: PodCandidate[], recordedMaster?: string): ElectionDecision {
  const usable = masters.filter((m) => m.state && !m.terminating);
  if (usable.length === 0) return { kind: 'none', demote: [], rejected: [], reason: 'no reachable master' };
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

function isLost(candidate: PodCandidate, lost: LostMaster): boolean {
  return candidate.port === lost.port && (candidate.host === lost.host || (lost.aliases ?? []).includes(candidate.host));
}

/** Live masters other than fenced pods, reachable and not on their way out. */
export function liveMasters(candidates: PodCandidate[]): PodCandidate[] {
  return candidates.filter((c) => c.state && c.state.role === 'master' && !c.terminating);
}

/**
 * What to do after the master was lost. A pod that is already a master (a promotion that ran before the operator
 * crashed) is kept, so a re-run never promotes twice; otherwise the failover election.
 */
export function planFailover(candidates: PodCandidate[], lostMaster: LostMaster): ElectionDecision {
  const others = candidates.filter((c) => !isLost(c, lostMaster));
  const masters = liveMasters(others);
  if (masters.length > 1) return resolveSplitBrain(masters);
  if (masters.length === 1) {
    return { kind: 'resume', winner: masters[0]!, demote: [], rejected: [], reason: `${masters[0]!.pod} was already promoted; finishing the failover` };
  }
  return electMaster(others, { lostMaster });
}

/**
 * Initial role assignment, also used on a cold start: an existing master is kept (two or more: split brain);
 * when nobody holds data, ordinal 0; otherwise the pod with the most data.
 */
export function planBootstrap(candidates: PodCandidate[]): ElectionDecision {
  const masters = liveMasters(candidates);
  if (masters.length > 1) return resolveSplitBrain(masters);
  if (masters.length === 1) return { kind: 'keep', winner: masters[0]!, demote: [], rejected: [], reason: `${masters[0]!.pod} is the master` };
  // Choosing before every pod answered could make an empty pod master and wipe the one that still boots with data.
  const waiting = candidates.filter((c) => !c.terminating && (!c.state || c.state.loading));
  if (waiting.length > 0) {
    return {
      kind: 'none', demote: [], rejected: waiting.map((c) => ({ pod: c.pod, reason: c.state ? 'loading its dataset' : 'unreachable' })),
      reason: `waiting for ${waiting.map((c) => c.pod).join(', ')} before choosing a master`,
    };
  }
  const reachable = candidates.filter((c) => c.state && !c.terminating && !c.state.loading);
  if (reachable.length > 0 && !reachable.some((c) => hasData(c.state!))) {
    const first = [...reachable].sort((a, b) => a.ordinal - b.ordinal)[0]!;
    return { kind: 'bootstrap', winner: first, demote: [], rejected: [], reason: `new store: ${first.pod} (lowest ordinal, no pod holds data)` };
  }
  return electMaster(candidates);
}
