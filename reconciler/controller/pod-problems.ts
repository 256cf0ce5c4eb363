/**
 * What is wrong with a store's pods, as opposed to what is merely under way. A pod that is being created, starting,
 * loading its data or making its first sync is progress (a scale-up, a rollout, a recreated pod), and so is a pod
 * being deleted (the StatefulSet recreates it); a pod that cannot start (its image, its config, a crash loop, no node
 * for it), one that crashed, one whose container has run for a while without being ready (a hung or cut-off engine,
 * a sync that never ends) and a ready pod that is gone are problems, and each is named. Pure.
 */
import type { KVStorePodStatus } from '../../shared/schema/kvstore.js';
import type { ObservedPod } from './observed.js';

/** Waiting reasons of a container that will not start without someone changing something. */
const CANNOT_START = new Set([
  'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull',
  'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'PreStartHookError',
]);

/** Longer than any engine takes to start and make its first sync here; after it, a pod not yet ready is a problem. */
export const STARTUP_GRACE_MS = 120_000;

export interface PodProblemsInput {
  pods: ObservedPod[];
  desiredReplicas: number;
  storeName: string;
  /** The pods of the last status written: a pod that was ready there and is gone now went wrong. */
  previousPods?: KVStorePodStatus[];
  /** A rollout deletes pods on purpose: their absence is progress. */
  updating?: boolean;
  now: Date;
}

function problemOf(pod: ObservedPod, nowMs: number): string | undefined {
  const waiting = pod.container?.waiting;
  if (waiting && CANNOT_START.has(waiting.reason)) return `${pod.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  if (pod.unschedulable) return `${pod.name} cannot be scheduled: ${pod.unschedulable}`;
  if (pod.phase === 'Unknown') return `${pod.name}: its node does not respond`;
  if (pod.phase === 'Failed') return `${pod.name} failed`;
  if (pod.ready) return undefined;
  const restarts = pod.container?.restarts ?? 0;
  if (restarts > 0) return `${pod.name} is not ready after ${restarts} restart${restarts === 1 ? '' : 's'}`;
  const since = pod.container?.runningSince ? Date.parse(pod.container.runningSince) : Number.NaN;
  if (Number.isFinite(since) && nowMs - since > STARTUP_GRACE_MS) return `${pod.name} is not ready (its engine has run for ${Math.round((nowMs - since) / 1000)} s)`;
  return undefined;
}

/** The problems, one phrase each; pods beyond spec.replicas (a scale-down removing them) are no concern. */
export function podProblems(input: PodProblemsInput): string[] {
  const wasReady = new Set(input.updating ? [] : (input.previousPods ?? []).filter((pod) => pod.ready).map((pod) => pod.name));
  const problems: string[] = [];
  const byName = new Map(input.pods.map((pod) => [pod.name, pod]));
  for (let ordinal = 0; ordinal < input.desiredReplicas; ordinal += 1) {
    const name = `${input.storeName}-${ordinal}`;
    const pod = byName.get(name);
    if (!pod) {
      if (wasReady.has(name)) problems.push(`${name} is gone`);
      continue;
    }
    // Being deleted (a user, an eviction, a rollout): the StatefulSet recreates it on its volume.
    if (pod.terminating && pod.phase !== 'Unknown' && pod.phase !== 'Failed') continue;
    const problem = problemOf(pod, input.now.getTime());
    if (problem) problems.push(problem);
  }
  return problems;
}
