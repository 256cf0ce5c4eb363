/**
 * The KVStore status as a pure function of what one reconcile observed and decided. Conditions keep their
 * lastTransitionTime while their status stays the same, so an unchanged store produces an identical status and
 * no write.
 */
import { jsonEqual } from '../../shared/json-value.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import type { Condition, ConditionType, FailoverRecord, KVStorePodStatus, KVStoreStatus, Phase } from '../../shared/schema/kvstore.js';
import { isCandidate, type TopologyPlan } from './plan-topology.js';
import type { ObservedPod } from './observed.js';
import { podProblems } from './pod-problems.js';

export interface StatusInput {
  generation?: number;
  desiredReplicas: number;
  selector: string;
  pods: ObservedPod[];
  plan: TopologyPlan;
  previous?: KVStoreStatus;
  now: Date;
  /** A failover happened in this reconcile. */
  failover?: FailoverRecord;
  /** A rollout (pods on an old revision) is in progress. */
  updating?: boolean;
  /** A spec the reconciler cannot act on (e.g. a PVC shrink, an apply the API server refused), with the reason. */
  blocked?: { reason: string; message: string };
  /** The health monitor found the master silent to the operator while these replicas still replicate from it. */
  operatorCutOff?: OperatorCutOff;
  /** A pod whose engine exit was expected (a Dragonfly switchover's old master, failover-clock.ts). */
  restartExpected?: (pod: string) => boolean;
}

export interface OperatorCutOff {
  master: string;
  replicasSeeingMaster: string[];
}

function readyPods(pods: ObservedPod[]): ObservedPod[] {
  return pods.filter((pod) => pod.ready && !pod.terminating);
}

/** A replica that is linked to the master and done with its full sync. */
function isSyncedReplica(pod: ObservedPod, master: ObservedPod | undefined): boolean {
  const engine = pod.engine;
  if (!engine || !master?.ip || engine.role !== 'replica') return false;
  return engine.masterHost === master.ip && engine.masterLinkUp === true && engine.syncInProgress !== true;
}

export function computePodStatuses(pods: ObservedPod[], masterName: string | undefined): KVStorePodStatus[] {
  const master = pods.find((pod) => pod.name === masterName);
  const masterOffset = master?.engine?.role === 'master' ? master.engine.replicationOffset : undefined;
  return pods.map((pod) => {
    const role: KVStorePodStatus['role'] = pod.name === masterName && pod.engine?.role === 'master'
      ? 'master'
      : isSyncedReplica(pod, master) ? 'replica' : 'unknown';
    const entry: KVStorePodStatus = { name: pod.name, role, ready: pod.ready && !pod.terminating };
    if (pod.engine) entry.replicationOffset = pod.engine.replicationOffset;
    if (role === 'replica' && masterOffset !== undefined && pod.engine) {
      entry.lagBytes = Math.max(0, masterOffset - pod.engine.replicationOffset);
    }
    return entry;
  });
}

function condition(
  previous: Condition[] | undefined, type: ConditionType, status: boolean | 'Unknown', reason: string, message: string,
  generation: number | undefined, now: Date,
): Condition {
  const statusText = status === 'Unknown' ? 'Unknown' : status ? 'True' : 'False';
  const before = previous?.find((entry) => entry.type === type);
  const lastTransitionTime = before && before.status === statusText ? before.lastTransitionTime : rfc3339(now);
  const result: Condition = { type, status: statusText, reason, message, lastTransitionTime };
  if (generation !== undefined) result.observedGeneration = generation;
  return result;
}

/** Degraded, Failover and Updating only follow a first Ready: until then the store is Creating. */
function everReady(previous: KVStoreStatus | undefined): boolean {
  return previous?.phase === 'Ready' || previous?.phase === 'Degraded' || previous?.phase === 'Failover' || previous?.phase === 'Updating';
}

/**
 * Degraded means something is wrong, and says what: pods starting, syncing or leaving are progress, not problems.
 * A missing Secret keeps pods from starting; a refused spec change (Progressing=False) leaves a serving store be.
 */
function storeProblems(input: StatusInput, masterUp: boolean, wasReady: boolean, cutOffMessage: string | undefined): string[] {
  const problems: string[] = [];
  if (input.blocked && (!masterUp || /Secret|ClientCa/.test(input.blocked.reason))) problems.push(input.blocked.message);
  if (cutOffMessage) problems.push(cutOffMessage);
  else if (wasReady && !masterUp) problems.push('no reachable master');
  problems.push(...podProblems({
    pods: input.pods, desiredReplicas: input.desiredReplicas, now: input.now, restartExpected: input.restartExpected,
  }));
  return problems;
}

interface PhaseFacts {
  input: StatusInput;
  masterUp: boolean;
  wasReady: boolean;
  healthy: boolean;
  degraded: boolean;
  cutOff: boolean;
}

function choosePhase({ input, masterUp, wasReady, healthy, degraded, cutOff }: PhaseFacts): Phase {
  const { pods } = input;
  if (input.blocked && !masterUp) return 'Failed';
  if (pods.length === 0 || pods.every((pod) => pod.phase === 'Pending')) return wasReady ? 'Degraded' : 'Pending';
  if (cutOff) return 'Degraded';
  if (!masterUp) return wasReady ? 'Failover' : 'Creating';
  if (!wasReady && !healthy) return 'Creating';
  if (input.updating) return 'Updating';
  if (healthy && !degraded) return 'Ready';
  return degraded ? 'Degraded' : 'Updating';
}

export function computeStatus(input: StatusInput): KVStoreStatus {
  const { pods, plan, previous, now, generation } = input;
  const masterName = plan.master ?? (plan.waiting ? previous?.master : undefined);
  const master = pods.find((pod) => pod.name === plan.master);
  const masterUp = master !== undefined && isCandidate(master) && master.engine?.role === 'master';
  const present = pods.filter((pod) => !pod.terminating);
  const ready = readyPods(pods);
  const replicasWanted = Math.max(0, input.desiredReplicas - 1);
  const synced = pods.filter((pod) => pod.name !== plan.master && !pod.terminating && isSyncedReplica(pod, master));
  const replicationHealthy = masterUp && synced.length >= replicasWanted;
  const allReady = ready.length >= input.desiredReplicas && present.length === input.desiredReplicas;
  const wasReady = everReady(previous);

  const healthy = masterUp && allReady && replicationHealthy;
  // Only the operator lost the master: the store most likely still serves, and no failover is under way.
  const cutOff = !masterUp && wasReady && input.operatorCutOff?.master === masterName ? input.operatorCutOff : undefined;
  const cutOffMessage = cutOff
    ? `master ${cutOff.master} does not answer the operator, but ${cutOff.replicasSeeingMaster.join(', ')} still replicate from it: no failover`
    : undefined;
  const problems = storeProblems(input, masterUp, wasReady, cutOffMessage);
  const degraded = problems.length > 0;
  const phase = choosePhase({ input, masterUp, wasReady, healthy, degraded, cutOff: cutOff !== undefined });

  const conditions: Condition[] = [];
  const previousConditions = previous?.conditions;
  if (masterUp) conditions.push(condition(previousConditions, 'Available', true, 'MasterAvailable', `master ${plan.master} accepts writes`, generation, now));
  else if (cutOffMessage) conditions.push(condition(previousConditions, 'Available', 'Unknown', 'MasterUnreachableFromOperator', cutOffMessage, generation, now));
  else conditions.push(condition(previousConditions, 'Available', false, 'NoMaster', plan.waiting ?? 'no master elected yet', generation, now));
  const progressing = phase === 'Creating' || phase === 'Pending' || phase === 'Updating' || phase === 'Failover'
    || present.length !== input.desiredReplicas || ready.length < input.desiredReplicas;
  if (input.blocked) {
    // A spec change that cannot be carried out: progress has stopped, with the reason (service may be fine).
    conditions.push(condition(previousConditions, 'Progressing', false, input.blocked.reason, input.blocked.message, generation, now));
  } else {
    conditions.push(progressing
      ? condition(previousConditions, 'Progressing', true, phase === 'Updating' && input.updating ? 'RollingUpdate' : present.length !== input.desiredReplicas ? 'Scaling' : 'Reconciling',
        `${ready.length}/${input.desiredReplicas} pods ready`, generation, now)
      : condition(previousConditions, 'Progressing', false, 'Reconciled', `all ${input.desiredReplicas} pods ready`, generation, now));
  }
  const blockedProblem = input.blocked && problems.includes(input.blocked.message) ? input.blocked.reason : undefined;
  const degradedReason = blockedProblem ?? (cutOff ? 'MasterUnreachableFromOperator' : wasReady && !masterUp ? 'MasterUnavailable' : 'PodsUnavailable');
  conditions.push(degraded
    ? condition(previousConditions, 'Degraded', true, degradedReason, problems.join('; '), generation, now)
    : condition(previousConditions, 'Degraded', false, 'Healthy', healthy
      ? `all ${input.desiredReplicas} pods ready${replicasWanted > 0 ? ' and in sync' : ''}`
      : `nothing wrong: ${ready.length}/${input.desiredReplicas} pods ready while others start, sync or leave`, generation, now));
  conditions.push(replicationHealthy
    ? condition(previousConditions, 'ReplicationHealthy', true, 'ReplicasInSync', `${synced.length}/${replicasWanted} replicas linked to ${plan.master}`, generation, now)
    : condition(previousConditions, 'ReplicationHealthy', false, masterUp ? 'ReplicasNotInSync' : 'NoMaster',
      masterUp ? `${synced.length}/${replicasWanted} replicas linked to ${plan.master}` : 'no master to replicate from', generation, now));
  // This reconcile got here, so every phase before the status ran: a failure shown before is over.
  conditions.push(condition(previousConditions, 'Reconciled', true, 'ReconcileSucceeded', 'every phase of the last reconcile succeeded', generation, now));
  // Conditions other components own (snapshots, policy audit) are carried over unchanged.
  for (const entry of previousConditions ?? []) {
    if (entry.type === 'SnapshotSucceeded' || entry.type === 'PolicyCompliant') conditions.push(entry);
  }

  const status: KVStoreStatus = {
    phase,
    observedGeneration: generation,
    replicas: present.length,
    readyReplicas: ready.length,
    selector: input.selector,
    conditions,
    pods: computePodStatuses(pods, plan.master),
  };
  if (masterName) status.master = masterName;
  const lastFailover = input.failover ?? previous?.lastFailover;
  if (lastFailover) status.lastFailover = lastFailover;
  if (previous?.lastSnapshot) status.lastSnapshot = previous.lastSnapshot;
  if (previous?.restore) status.restore = previous.restore;
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  return status;
}

export function statusChanged(previous: KVStoreStatus | undefined, next: KVStoreStatus): boolean {
  // Skips status writes that change nothing.
  return !jsonEqual(previous ?? {}, next);
}
