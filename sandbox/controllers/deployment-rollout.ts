// What the Deployment controller does next, as pure functions: which pods to create and which to delete for the
// RollingUpdate (maxSurge / maxUnavailable) and Recreate strategies, and the Deployment's status. Kubernetes puts
// a ReplicaSet per template revision between a Deployment and its pods; the sandbox serves no ReplicaSets, so the
// pods belong to the Deployment and carry the revision in their `pod-template-hash` label (documented in
// sandbox/README.md). The arithmetic is kube-controller-manager's (deployment/util: ResolveFenceposts,
// NewRSNewReplicas, the old ReplicaSets' scale-down by maxScaledDown).
import type { IntOrString, V1Deployment, V1DeploymentCondition, V1DeploymentStatus, V1Pod } from '@kubernetes/client-node';
import { safeHash } from './revision-hash.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** The revision label of a Deployment's current pod template. */
export function templateHash(deployment: V1Deployment): string {
  return safeHash(deployment.spec?.template ?? {});
}

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A pod that still counts: not terminating and not finished (a ReplicaSet replaces finished pods). */
export function isActive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

/** An int-or-percent of `total`, percentages rounded up (surge) or down (unavailable), as intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean, fallback: IntOrString): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  const match = /^(\d+)%$/.exec(raw);
  if (!match) return Number.parseInt(raw, 10) || 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable (defaults 25% each); both zero would block a rollout, so unavailable becomes 1. */
export function fenceposts(deployment: V1Deployment): { surge: number; unavailable: number } {
  const replicas = deployment.spec?.replicas ?? 1;
  const rolling = deployment.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(rolling?.maxSurge, replicas, true, '25%');
  let unavailable = scaledValue(rolling?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export interface RolloutStep {
  /** How many pods of the current template to create. */
  create: number;
  /** Pods to delete, unready ones first. */
  remove: V1Pod[];
}

/** Unready pods go first, then the youngest, as a ReplicaSet picks pods to scale down. */
function deletionOrder(pods: V1Pod[]): V1Pod[] {
  const created = (pod: V1Pod) => String(pod.metadata?.creationTimestamp ?? '');
  return [...pods].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || created(b).localeCompare(created(a)));
}

/** The next step for a Deployment whose owned pods are `pods` (finished pods are deleted by the caller). */
export function planRollout(deployment: V1Deployment, pods: V1Pod[]): RolloutStep {
  const replicas = deployment.spec?.replicas ?? 1;
  const hash = templateHash(deployment);
  const active = pods.filter(isActive);
  const current = active.filter((pod) => pod.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === hash);
  const old = active.filter((pod) => !current.includes(pod));
  if (deployment.spec?.strategy?.type === 'Recreate') {
    if (old.length > 0) return { create: 0, remove: old };
    if (pods.some((pod) => !isActive(pod) && pod.metadata?.deletionTimestamp)) return { create: 0, remove: [] };
    return scaleTo(current, replicas);
  }
  if (old.length === 0) return scaleTo(current, replicas);
  const { surge, unavailable } = fenceposts(deployment);
  // NewRSNewReplicas: grow the new revision up to replicas + maxSurge pods in all.
  const create = Math.max(0, Math.min(replicas + surge - active.length, replicas - current.length));
  // The old revision shrinks while at least replicas - maxUnavailable pods stay ready; unready new pods count
  // against that budget, unready old pods cost nothing to remove.
  const minAvailable = replicas - unavailable;
  const newUnavailable = current.filter((pod) => !isPodReady(pod)).length;
  const maxScaledDown = active.length - minAvailable - newUnavailable;
  const remove: V1Pod[] = [];
  let budget = maxScaledDown;
  for (const pod of deletionOrder(old)) {
    if (!isPodReady(pod)) remove.push(pod);
    else if (budget > 0) {
      remove.push(pod);
      budget--;
    }
  }
  return { create, remove };
}

function scaleTo(current: V1Pod[], replicas: number): RolloutStep {
  if (current.length < replicas) return { create: replicas - current.length, remove: [] };
  return { create: 0, remove: deletionOrder(current).slice(0, current.length - replicas) };
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, previous: V1DeploymentCondition[] | undefined, now: Date): V1DeploymentCondition {
  const before = previous?.find((c) => c.type === type);
  const unchanged = before?.status === status;
  return {
    type, status, reason, message,
    lastUpdateTime: before?.reason === reason && unchanged ? before.lastUpdateTime ?? now : now,
    lastTransitionTime: unchanged ? before?.lastTransitionTime ?? now : now,
  };
}

/** The status kubectl rollout status reads: replicas, updated, ready, available, and Available/Progressing. */
export function computeDeploymentStatus(deployment: V1Deployment, pods: V1Pod[], now: Date): V1DeploymentStatus {
  const replicas = deployment.spec?.replicas ?? 1;
  const hash = templateHash(deployment);
  const active = pods.filter(isActive);
  const updated = active.filter((pod) => pod.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === hash);
  const ready = active.filter(isPodReady).length;
  const { unavailable } = fenceposts(deployment);
  const name = deployment.metadata?.name ?? '';
  const complete = updated.length === replicas && active.length === replicas && updated.every(isPodReady);
  const previous = deployment.status?.conditions;
  const available = ready >= replicas - unavailable
    ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', previous, now)
    : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', previous, now);
  const progressing = complete
    ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `Deployment "${name}" has successfully progressed.`, previous, now)
    : condition('Progressing', 'True', 'ReplicaSetUpdated', `Deployment "${name}" is progressing.`, previous, now);
  return {
    observedGeneration: deployment.metadata?.generation ?? 1,
    replicas: active.length,
    updatedReplicas: updated.length,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, replicas - ready),
    conditions: [available, progressing],
  };
}
