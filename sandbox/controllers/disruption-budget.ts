// The disruption controller's arithmetic (pkg/controller/disruption, v1.32) over plain objects: expected pods,
// desired and current healthy, disruptions allowed, the disruptedPods entries still pending, and the status write
// that follows, with the DisruptionAllowed condition as pdbhelper sets it.
import type { V1Pod, V1PodDisruptionBudget, V1PodDisruptionBudgetStatus, V1Condition } from '@kubernetes/client-node';
import { controllerOf } from './selectors.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import { errorMessage } from '../../shared/error-message.js';

/** How long an eviction's disruptedPods entry holds a pod out of currentHealthy (DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

type IntOrString = number | string;

/** A controller's desired scale by its uid, or undefined when the owner is not a known controller. */
export type ScaleLookup = (namespace: string, ref: { apiVersion: string; kind: string; name: string; uid: string }) => { uid: string; replicas: number } | undefined;

export interface BudgetCounts {
  expectedPods: number;
  desiredHealthy: number;
  /** pods matched by the selector that have no controller (they count for nothing but an event) */
  unmanagedPods: string[];
}

/** intstr.GetScaledValueFromIntOrPercent with roundUp: a percentage of `total`, rounded up. */
export function scaledValue(value: IntOrString, total: number): number {
  if (typeof value === 'number') return value;
  const match = /^(-?\d+)%$/.exec(value);
  if (!match) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  return Math.ceil((Number(match[1]) * total) / 100);
}

function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** getExpectedScale: the sum of the scales of the pods' controllers, each counted once. */
function expectedScale(pods: V1Pod[], lookup: ScaleLookup): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata?.name ?? '');
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = lookup(pod.metadata?.namespace ?? '', ref);
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name}"`);
    scales.set(found.uid, found.replicas);
  }
  let expected = 0;
  for (const replicas of scales.values()) expected += replicas;
  return { expected, unmanaged };
}

/** getExpectedPodCount: an integer minAvailable counts the matching pods; anything else needs the controllers' scale. */
export function expectedPodCount(pdb: V1PodDisruptionBudget, pods: V1Pod[], lookup: ScaleLookup): BudgetCounts {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pods, lookup);
    const maxUnavailable = scaledValue(spec.maxUnavailable as IntOrString, expected);
    return { expectedPods: expected, desiredHealthy: Math.max(0, expected - maxUnavailable), unmanagedPods: unmanaged };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    const { expected, unmanaged } = expectedScale(pods, lookup);
    return { expectedPods: expected, desiredHealthy: scaledValue(spec.minAvailable as IntOrString, expected), unmanagedPods: unmanaged };
  }
  return { expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/** buildDisruptedPodMap: entries of live, not-yet-terminating pods younger than the timeout; and when to look again. */
export function pendingDisruptions(pdb: V1PodDisruptionBudget, pods: V1Pod[], nowMs: number, timeoutMs: number): { disrupted: Record<string, string>; recheckAtMs?: number } {
  const recorded = (pdb.status?.disruptedPods ?? {}) as Record<string, unknown>;
  const disrupted: Record<string, string> = {};
  let recheckAtMs: number | undefined;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || recorded[name] === undefined) continue;
    const at = recorded[name] instanceof Date ? (recorded[name] as Date).getTime() : Date.parse(String(recorded[name]));
    const expiresMs = at + timeoutMs;
    if (expiresMs < nowMs) continue;
    disrupted[name] = rfc3339(new Date(at));
    if (recheckAtMs === undefined || expiresMs < recheckAtMs) recheckAtMs = expiresMs;
  }
  return recheckAtMs === undefined ? { disrupted } : { disrupted, recheckAtMs };
}

/** countHealthyPods: Ready pods that are neither terminating nor about to be evicted. */
export function countHealthy(pods: V1Pod[], disrupted: Record<string, string>): number {
  return pods.filter((pod) => !pod.metadata?.deletionTimestamp && disrupted[pod.metadata?.name ?? ''] === undefined && isPodReady(pod)).length;
}

/** pdbhelper.UpdateDisruptionAllowedCondition. */
export function disruptionAllowedCondition(status: { disruptionsAllowed: number; observedGeneration?: number; conditions?: V1Condition[] }, nowMs = Date.now()): V1Condition[] {
  const allowed = status.disruptionsAllowed > 0;
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === 'DisruptionAllowed');
  const wanted = allowed ? 'True' : 'False';
  const next = {
    type: 'DisruptionAllowed',
    status: wanted,
    observedGeneration: status.observedGeneration ?? 0,
    lastTransitionTime: existing?.status === wanted ? existing.lastTransitionTime : rfc3339(new Date(nowMs)),
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  } as unknown as V1Condition;
  return existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next];
}

/** The status the controller writes, or undefined when the stored one is already current (updatePdbStatus). */
export function nextBudgetStatus(pdb: V1PodDisruptionBudget, counts: BudgetCounts, currentHealthy: number, disrupted: Record<string, string>): V1PodDisruptionBudgetStatus | undefined {
  let disruptionsAllowed = currentHealthy - counts.desiredHealthy;
  if (counts.expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const generation = pdb.metadata?.generation ?? 0;
  const old = pdb.status;
  const oldDisrupted = (old?.disruptedPods ?? {}) as Record<string, unknown>;
  const sameDisrupted = Object.keys(oldDisrupted).length === Object.keys(disrupted).length
    && Object.entries(disrupted).every(([k, v]) => oldDisrupted[k] !== undefined && Date.parse(String(oldDisrupted[k] instanceof Date ? (oldDisrupted[k] as Date).toISOString() : oldDisrupted[k])) === Date.parse(v));
  const condition = (old?.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  const conditionCurrent = condition !== undefined && condition.observedGeneration === old?.observedGeneration
    && (disruptionsAllowed > 0 ? condition.status === 'True' && condition.reason === 'SufficientPods' : condition.status === 'False');
  if (old && old.currentHealthy === currentHealthy && old.desiredHealthy === counts.desiredHealthy && old.expectedPods === counts.expectedPods
    && old.disruptionsAllowed === disruptionsAllowed && sameDisrupted && old.observedGeneration === generation && conditionCurrent) return undefined;
  const status: V1PodDisruptionBudgetStatus = { observedGeneration: generation } as V1PodDisruptionBudgetStatus;
  if (Object.keys(disrupted).length > 0) status.disruptedPods = disrupted as unknown as Record<string, Date>;
  Object.assign(status, { disruptionsAllowed, currentHealthy, desiredHealthy: counts.desiredHealthy, expectedPods: counts.expectedPods });
  status.conditions = disruptionAllowedCondition({ disruptionsAllowed, observedGeneration: generation, conditions: old?.conditions ?? [] });
  return status;
}

/** failSafe: after a failed sync nothing may be disrupted, and the condition says why. */
export function failSafeStatus(pdb: V1PodDisruptionBudget, error: unknown): V1PodDisruptionBudgetStatus {
  const old = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  const conditions = old.conditions ?? [];
  const existing = conditions.find((c) => c.type === 'DisruptionAllowed');
  const next = {
    type: 'DisruptionAllowed', status: 'False', observedGeneration: old.observedGeneration ?? 0,
    lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime : rfc3339(),
    reason: 'SyncFailed', message: errorMessage(error),
  } as unknown as V1Condition;
  return { ...old, disruptionsAllowed: 0, conditions: existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next] };
}
