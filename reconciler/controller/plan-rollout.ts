/**
 * Rolling updates under `updateStrategy: OnDelete`: the StatefulSet controller recreates a deleted pod from the new
 * revision, and this planner decides which pod to delete, one at a time: replicas first (highest ordinal first),
 * each only once every other pod is back, ready and in sync; then a coordinated switchover hands the master role to
 * an updated replica, and only then is the old master restarted. Pure.
 */
import type { ObservedPod } from './observed.js';

export const REVISION_LABEL = 'controller-revision-hash';

export interface RolloutInput {
  pods: ObservedPod[];
  /** The StatefulSet's status.updateRevision. */
  updateRevision?: string;
  master?: string;
  desiredReplicas: number;
}

export type RolloutStep =
  | { kind: 'none' }
  | { kind: 'wait'; reason: string }
  | { kind: 'delete'; pod: string; reason: string }
  | { kind: 'switchover'; from: string; reason: string };

function isSynced(pod: ObservedPod, master: ObservedPod | undefined): boolean {
  if (pod.name === master?.name) return pod.engine?.role === 'master';
  const engine = pod.engine;
  return engine?.role === 'replica' && engine.masterHost === master?.ip && engine.masterLinkUp === true && engine.syncInProgress !== true && engine.loading !== true;
}

export function isOutdated(pod: ObservedPod, updateRevision: string | undefined): boolean {
  return updateRevision !== undefined && pod.revision !== undefined && pod.revision !== updateRevision;
}

export function planRollout(input: RolloutInput): RolloutStep {
  const { pods, updateRevision } = input;
  const outdated = pods.filter((pod) => !pod.terminating && isOutdated(pod, updateRevision));
  if (outdated.length === 0) return { kind: 'none' };
  const master = pods.find((pod) => pod.name === input.master);
  if (!master) return { kind: 'wait', reason: 'no master: the rollout waits for one' };
  // One pod at a time: everything present must be up and in sync before the next restart.
  const unsettled = pods.filter((pod) => pod.terminating || !pod.ready || !isSynced(pod, master));
  if (unsettled.length > 0 || pods.length < input.desiredReplicas) {
    return { kind: 'wait', reason: `waiting for ${unsettled.map((pod) => pod.name).join(', ') || 'all pods'} to be ready and in sync` };
  }
  const outdatedReplicas = outdated.filter((pod) => pod.name !== master.name).sort((a, b) => b.ordinal - a.ordinal);
  if (outdatedReplicas.length > 0) {
    const pod = outdatedReplicas[0]!;
    return { kind: 'delete', pod: pod.name, reason: `restart replica ${pod.name} on revision ${updateRevision}` };
  }
  // Only the master is left on the old revision.
  const updatedReplicas = pods.filter((pod) => pod.name !== master.name && !isOutdated(pod, updateRevision));
  if (updatedReplicas.length === 0) {
    return { kind: 'delete', pod: master.name, reason: `restart ${master.name}: no replica to hand the master role to` };
  }
  return { kind: 'switchover', from: master.name, reason: `hand the master role to an updated replica before restarting ${master.name}` };
}
