/**
 * Which pod is master and what has to change so that every other pod replicates from it, decided from live roles,
 * labels and the last recorded master only (so a reconciler restarted mid-promotion reaches the same answer and never
 * promotes twice). Pure; the caller executes the steps in order: promote, demote, repoint, then labels.
 */
import type { ObservedPod } from './observed.js';
import { resolveSplitBrain } from '../replication/index.js';

export type ElectionReason = 'Existing' | 'Bootstrap' | 'MostData' | 'MasterLost' | 'SplitBrain';

export interface TopologyInput {
  pods: ObservedPod[];
  /** status.master: the master the operator last recorded. */
  knownMaster?: string;
  /** The health monitor (or this reconcile) confirmed the known master is down. */
  masterDownConfirmed: boolean;
  failoverEnabled: boolean;
  port: number;
}

export interface ReplicaOfStep {
  pod: string;
  host: string;
  port: number;
}

export interface LabelStep {
  pod: string;
  role: 'master' | 'replica' | undefined;
}

export interface TopologyPlan {
  master?: string;
  reason?: ElectionReason;
  /** The pod to REPLICAOF NO ONE (absent when the master already is one). */
  promote?: string;
  /** The master before this plan, when it changed. */
  previousMaster?: string;
  /** Pods to repoint at the master, masters of a split brain included. */
  replicaOf: ReplicaOfStep[];
  /** Label changes, master-label removals first so the master Service never has two endpoints. */
  labels: LabelStep[];
  /** Why nothing could be decided yet. */
  waiting?: string;
}

/** A pod that can be elected or made a replica now. */
export function isCandidate(pod: ObservedPod): boolean {
  return pod.engine !== undefined && !pod.terminating && pod.ip !== undefined && pod.engine.loading !== true;
}

/** Most data first: replication offset, then keys, then the lowest ordinal. */
export function compareByData(a: ObservedPod, b: ObservedPod): number {
  const offsetDifference = (b.engine?.replicationOffset ?? -1) - (a.engine?.replicationOffset ?? -1);
  if (offsetDifference !== 0) return offsetDifference;
  const keysDifference = (b.engine?.keys ?? 0) - (a.engine?.keys ?? 0);
  if (keysDifference !== 0) return keysDifference;
  return a.ordinal - b.ordinal;
}

function hasData(pod: ObservedPod): boolean {
  return (pod.engine?.replicationOffset ?? 0) > 0 || (pod.engine?.keys ?? 0) > 0;
}

interface Election {
  master?: string;
  reason?: ElectionReason;
  waiting?: string;
}

function electAfterLoss(input: TopologyInput, candidates: ObservedPod[], lost: ObservedPod | undefined): Election {
  // Every answering pod booted fenced: a cold start (all pods restarted), so nobody has taken a write since. The pod
  // with the most data may simply be the slowest to come back, and electing without it would make it resync from a
  // poorer pod and drop acknowledged writes; waiting costs availability only. Pods on a lost node count as gone.
  if (candidates.every((pod) => pod.engine?.state?.fenced === true)) {
    const pending = input.pods.filter((pod) => !pod.terminating && !isCandidate(pod));
    if (pending.length > 0) return { master: lost?.name, waiting: `cold start: waiting for ${pending.map((pod) => pod.name).join(', ')} before electing` };
  }
  // Prefer pods that were replicating from the lost master: they hold its history. A pod that restarted empty has
  // offset 0 and loses to any replica with data.
  const followers = lost?.ip ? candidates.filter((pod) => pod.engine?.masterHost === lost.ip) : [];
  const pool = (followers.length > 0 ? followers : candidates).filter((pod) => pod.engine?.syncInProgress !== true);
  const winner = [...pool].sort(compareByData)[0];
  return winner ? { master: winner.name, reason: 'MasterLost' } : { waiting: 'no replica can be promoted' };
}

function elect(input: TopologyInput, candidates: ObservedPod[]): Election {
  const byName = new Map(input.pods.map((pod) => [pod.name, pod]));
  const masters = candidates.filter((pod) => pod.engine?.role === 'master');
  const known = input.knownMaster ? byName.get(input.knownMaster) : undefined;

  if (masters.length > 1) {
    // Two masters: the side with more writes since the split stays (replication IDs tell where the split is).
    if (masters.every((pod) => pod.engine?.state)) {
      const decision = resolveSplitBrain(masters.map((pod) => ({ pod: pod.name, ordinal: pod.ordinal, host: pod.ip!, port: input.port, state: pod.engine!.state })), input.knownMaster);
      if (decision.winner) return { master: decision.winner.pod, reason: 'SplitBrain' };
    }
    // Without replication IDs: the higher offset stays; ties keep the recorded master.
    const sorted = [...masters].sort((a, b) => {
      const difference = (b.engine!.replicationOffset) - (a.engine!.replicationOffset);
      if (difference !== 0) return difference;
      if (a.name === input.knownMaster) return -1;
      if (b.name === input.knownMaster) return 1;
      return a.ordinal - b.ordinal;
    });
    return { master: sorted[0]!.name, reason: 'SplitBrain' };
  }
  if (masters.length === 1) return { master: masters[0]!.name, reason: 'Existing' };

  if (known) {
    const knownLost = known.terminating || known.engine === undefined || known.engine.role !== 'master';
    if (!knownLost) return { master: known.name, reason: 'Existing' };
    // The known master is alive but unreachable from here: only fail over on the health monitor's verdict,
    // so a partition between the operator and the master alone changes nothing.
    if (!known.terminating && known.engine === undefined && !input.masterDownConfirmed) {
      return { master: known.name, waiting: `master ${known.name} is not answering; waiting for the health check` };
    }
    // A known master that follows another live pod of the store is handing over (FAILOVER TO runs, for a moment, with
    // no master at all): the target is promoted within milliseconds. Promoting someone else now would make a second
    // master. A hand-over that never completes is left to the health monitor, which sees a master answering as a
    // replica. Anything else (booted fenced, following a foreign host) lost the role: fail over at once.
    const target = known.engine?.role === 'replica' ? followedPod(known, candidates, input.port) : undefined;
    if (!known.terminating && target && !input.masterDownConfirmed) {
      return { master: known.name, waiting: `master ${known.name} is handing over to ${target.name}; waiting for it to take the role` };
    }
    if (!input.failoverEnabled) return { waiting: `master ${known.name} is lost and failover is disabled` };
    return electAfterLoss(input, candidates, known);
  }
  if (input.knownMaster) {
    // The recorded master's pod is gone entirely.
    if (!input.failoverEnabled) return { waiting: `master ${input.knownMaster} is gone and failover is disabled` };
    return electAfterLoss(input, candidates, undefined);
  }

  // No master recorded: a new store, or a cold start after the status was lost. Wait until every present pod can be
  // compared: a pod slow to start may hold data (a store re-created over kept volumes), and bootstrapping an empty
  // pod before it answers would make it the sync source that wipes that data. A new store also keeps ordinal 0.
  if (candidates.length === 0) return { waiting: 'no pod is running yet' };
  const pending = input.pods.filter((pod) => !pod.terminating && !isCandidate(pod));
  if (pending.length > 0) return { waiting: `waiting for ${pending.map((pod) => pod.name).join(', ')} to answer before electing the first master` };
  if (!candidates.some(hasData)) {
    return { master: [...candidates].sort((a, b) => a.ordinal - b.ordinal)[0]!.name, reason: 'Bootstrap' };
  }
  return { master: [...candidates].sort(compareByData)[0]!.name, reason: 'MostData' };
}

/** The live pod of the store that `pod` replicates from, by IP or pod DNS name. */
function followedPod(pod: ObservedPod, candidates: ObservedPod[], port: number): ObservedPod | undefined {
  const host = pod.engine?.masterHost;
  if (!host || pod.engine?.masterPort !== port) return undefined;
  return candidates.find((other) => other.name !== pod.name && (other.ip === host || host.startsWith(`${other.name}.`)));
}

export function planTopology(input: TopologyInput): TopologyPlan {
  const candidates = input.pods.filter(isCandidate);
  const election = elect(input, candidates);
  const plan: TopologyPlan = { replicaOf: [], labels: [], waiting: election.waiting };
  const master = election.master ? input.pods.find((pod) => pod.name === election.master) : undefined;
  const masterUsable = master !== undefined && isCandidate(master);

  const removals: LabelStep[] = [];
  const additions: LabelStep[] = [];
  for (const pod of input.pods) {
    // A master we are still waiting on keeps its label: only a decided failover moves it.
    const isMaster = master !== undefined && pod.name === master.name;
    if (!isMaster && pod.roleLabel === 'master') removals.push({ pod: pod.name, role: isCandidate(pod) ? 'replica' : undefined });
  }
  // Waiting (a hand-over in flight, a cold start with pods still to answer) changes no engine: promoting the pod the
  // election names before it has decided could be the very move the wait is there to prevent.
  if (!masterUsable || plan.waiting) {
    plan.labels = removals;
    if (master && !plan.waiting) plan.waiting = `master ${master.name} is not reachable`;
    return plan;
  }

  plan.master = master.name;
  plan.reason = election.reason;
  if (input.knownMaster && input.knownMaster !== master.name) plan.previousMaster = input.knownMaster;
  if (master.engine!.role !== 'master') plan.promote = master.name;
  for (const pod of candidates) {
    if (pod.name === master.name) continue;
    const engine = pod.engine!;
    const pointed = engine.role === 'replica' && engine.masterHost === master.ip && engine.masterPort === input.port;
    if (!pointed) plan.replicaOf.push({ pod: pod.name, host: master.ip!, port: input.port });
    if (pod.roleLabel !== 'replica' && pod.roleLabel !== 'master') additions.push({ pod: pod.name, role: 'replica' });
  }
  if (master.roleLabel !== 'master') additions.push({ pod: master.name, role: 'master' });
  // Master last: every stale master label is gone before the new one appears.
  additions.sort((a, b) => (a.role === 'master' ? 1 : 0) - (b.role === 'master' ? 1 : 0));
  plan.labels = [...removals, ...additions];
  return plan;
}
