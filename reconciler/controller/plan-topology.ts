/**
 * Which pod is master and what has to change so that every other pod replicates from it, decided from live roles,
 * labels and the last recorded master only (so a reconciler restarted mid-promotion reaches the same answer and never
 * promotes twice). Pure; the caller executes the steps in order: promote, demote, repoint, then labels.
 */
import type { ObservedPod } from './observed.js';
import { FENCE_MASTER_HOST, FENCE_MASTER_PORT, mayHoldNewerData, resolveSplitBrain, type DataBounds, type DataView } from '../replication/index.js';

/**
 * `MasterReturned`: the lost master came back with its data and keeps the role, because another pod may hold
 * acknowledged writes the best replica lacks. `BestEffort`: the lost master came back empty and nothing can show which
 * pod holds the newest data; the one with the most keys is kept and a Warning says writes may be lost.
 */
export type ElectionReason = 'Existing' | 'Bootstrap' | 'MostData' | 'MasterLost' | 'MasterReturned' | 'BestEffort' | 'SplitBrain';

export interface TopologyInput {
  pods: ObservedPod[];
  /** status.master: the master the operator last recorded. */
  knownMaster?: string;
  /** The health monitor (or this reconcile) confirmed the known master is down. */
  masterDownConfirmed: boolean;
  failoverEnabled: boolean;
  port: number;
  /** What the health monitor learned of the age of each pod's data (data-bounds.ts); undefined after a restart. */
  dataBounds?: DataBounds;
  /** spec.replicas: a deleted pod below it comes back (see goneForGood). Undefined: every terminating pod is gone. */
  desiredReplicas?: number;
  /** The store's name, which names its pods: with desiredReplicas, a pod deleted and not yet recreated is awaited. */
  storeName?: string;
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
  /** The pods whose return the wait is for: until one of them answers, the store has no usable master. */
  awaiting?: string[];
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
  awaiting?: string[];
}

const namesOf = (pods: ObservedPod[]): string[] => pods.map((pod) => pod.name);

/**
 * Gone with its data, for the election: on a lost node (it returns only with the node), or deleted for good by a
 * scale-down. A pod deleted or evicted below spec.replicas is not gone: the StatefulSet recreates it on the same
 * volume, data included (the reconciler itself deletes pods stuck in restart back-off for that, restart-awaited-pods.ts),
 * so a wait for its data goes on until it is back.
 */
function goneForGood(pod: ObservedPod, input: TopologyInput): boolean {
  if (!pod.terminating) return false;
  if (pod.phase === 'Unknown' || input.desiredReplicas === undefined) return true;
  return pod.ordinal >= input.desiredReplicas;
}

/**
 * The pods below spec.replicas that have no pod object at the moment (deleted, the StatefulSet not yet done recreating
 * them): each comes back on its volume with its data, so after a loss they are awaited like a pod that does not answer.
 */
function absentPods(input: TopologyInput): ObservedPod[] {
  if (input.storeName === undefined || input.desiredReplicas === undefined) return [];
  const present = new Set(input.pods.map((pod) => pod.ordinal));
  const absent: ObservedPod[] = [];
  for (let ordinal = 0; ordinal < input.desiredReplicas; ordinal++) {
    // The lost master is not asked (all it acknowledged is on some replica): only its return can end a wait early.
    const name = `${input.storeName}-${ordinal}`;
    if (!present.has(ordinal) && name !== input.knownMaster) absent.push({ name, ordinal, phase: 'Pending', ready: false, terminating: false });
  }
  return absent;
}

function electAfterLoss(input: TopologyInput, candidates: ObservedPod[], lost: ObservedPod | undefined): Election {
  const pods = [...input.pods, ...absentPods(input)];
  // Every answering pod booted fenced: a cold start (all pods restarted), so nobody has taken a write since. The pod
  // with the most data may simply be the slowest to come back, and electing without it would make it resync from a
  // poorer pod and drop acknowledged writes; waiting costs availability only. Pods on a lost node count as gone.
  if (candidates.every((pod) => pod.engine?.state?.fenced === true)) {
    const pending = pods.filter((pod) => !goneForGood(pod, input) && !isCandidate(pod));
    if (pending.length > 0) return { master: lost?.name, waiting: `cold start: waiting for ${namesOf(pending).join(', ')} before electing`, awaiting: namesOf(pending) };
  }
  // Offsets compare only pods that know theirs: one restarted from its AOF reports 0 whatever it holds.
  // The lost master competes only when it booted fenced on its own data; following someone (a hand-over that never
  // completed, a foreign host), its offset says nothing about what it acknowledged as master.
  const pool = candidates.filter((pod) => (pod !== lost || bootedFenced(pod))
    && (pod.engine?.replicationOffset ?? 0) > 0 && pod.engine?.syncInProgress !== true);
  const best = [...pool].sort(compareByData)[0];
  // Every acknowledged write reached a replica. Unless each other pod provably holds nothing newer than `best`, one of
  // them may hold writes `best` lacks, and promoting `best` would make it resync from `best` and lose them. The lost
  // master is left out: all it acknowledged is on some replica.
  const atRisk = pods.filter((pod) => pod !== best && pod !== lost && !goneForGood(pod, input)
    && mayHoldNewerData(dataView(pod), best?.engine?.replicationOffset ?? 0, input.dataBounds));
  if (best && atRisk.length === 0) return { master: best.name, reason: 'MasterLost' };
  if (atRisk.length === 0) {
    // Nobody holds data: any pod will do.
    const first = [...candidates].sort(compareByData)[0];
    return first ? { master: first.name, reason: 'MasterLost' } : { waiting: 'no replica can be promoted' };
  }
  // The lost master holds everything it acknowledged, and every other pod's data is a part of its history: once it is
  // back with its data (fenced, loaded from disk), it keeps the role and the others resync from it.
  if (lost && isCandidate(lost) && hasData(lost)) return { master: lost.name, reason: 'MasterReturned' };
  const names = atRisk.map((pod) => pod.name).join(', ');
  const pending = atRisk.filter((pod) => !isCandidate(pod));
  // Back but empty (its volume is gone), or on a lost node (it comes back only with the node): once every other pod
  // answers, nothing left shows which one is newest, and waiting longer would leave the store without a master for
  // as long as the node stays away. Most keys is the best guess, said as such.
  const lostCannotShowData = lost !== undefined && (isCandidate(lost) || lost.phase === 'Unknown');
  if (lostCannotShowData && pending.length === 0) {
    const guess = [...candidates].filter((pod) => pod.engine?.syncInProgress !== true).sort((a, b) => (b.engine?.keys ?? 0) - (a.engine?.keys ?? 0) || compareByData(a, b))[0];
    if (guess) return { master: guess.name, reason: 'BestEffort' };
  }
  const lostPending = lost !== undefined && !isCandidate(lost) && !goneForGood(lost, input) ? [lost] : [];
  return {
    master: lost?.name,
    awaiting: namesOf([...lostPending, ...pending.filter((pod) => pod !== lost)]),
    waiting: `${names} may hold acknowledged writes that ${best ? `${best.name} (the best replica)` : 'no answering replica'} lacks; `
      + `waiting for ${lost ? `${lost.name} (the lost master) or ` : ''}${pending.length > 0 ? pending.map((pod) => pod.name).join(', ') : names} to come back`,
  };
}

function bootedFenced(pod: ObservedPod): boolean {
  return pod.engine?.state?.fenced === true || (pod.engine?.masterHost === FENCE_MASTER_HOST && pod.engine.masterPort === FENCE_MASTER_PORT);
}

function dataView(pod: ObservedPod): DataView {
  if (!isCandidate(pod)) return { name: pod.name };
  return { name: pod.name, offset: pod.engine!.replicationOffset, keys: pod.engine!.keys ?? 0 };
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
    // so a partition between the operator and the master alone changes nothing. One whose engine waits in restart
    // back-off is not alive: Kubernetes says so, and a reconciler started after its death saw no death to react to.
    if (!known.terminating && known.engine === undefined && !input.masterDownConfirmed && !known.backOff) {
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
  const pending = input.pods.filter((pod) => !goneForGood(pod, input) && !isCandidate(pod));
  if (pending.length > 0) return { waiting: `waiting for ${namesOf(pending).join(', ')} to answer before electing the first master`, awaiting: namesOf(pending) };
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
  const plan: TopologyPlan = { replicaOf: [], labels: [], waiting: election.waiting, ...(election.awaiting?.length ? { awaiting: election.awaiting } : {}) };
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
