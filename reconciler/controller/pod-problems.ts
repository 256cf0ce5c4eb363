/**
 * What is wrong with a store's pods, as opposed to what is merely under way. A pod that is being created, starting,
 * loading its data or making its first sync is progress (a scale-up, a rollout, a recreated pod), and so is a pod
 * being deleted (the StatefulSet recreates it); a pod that cannot start (its image, its config, a crash loop, no node
 * for it), one that crashed, one not ready for 30 s whose engine is past its 2-minute start (a hung or cut-off engine,
 * a sync that never ends) are problems, and each is named. Pure.
 */
import type { ObservedPod } from './observed.js';

/** Waiting reasons of a container that will not start without someone changing something. */
const CANNOT_START = new Set([
  'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull',
  'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'PreStartHookError',
]);

/** Longer than any engine takes to start and make its first sync here: a pod this young that is not ready starts. */
export const STARTUP_GRACE_MS = 120_000;
/** Longer than a replica takes to resync after a switchover: a pod not ready this long is stuck. */
export const NOT_READY_GRACE_MS = 30_000;

export interface PodProblemsInput {
  pods: ObservedPod[];
  desiredReplicas: number;
  now: Date;
  /** A pod whose engine was expected to exit (a Dragonfly switchover's old master): its restart is no crash. */
  restartExpected?: (pod: string) => boolean;
}

function elapsedMs(since: string | undefined, nowMs: number): number | undefined {
  const at = since ? Date.parse(since) : Number.NaN;
  return Number.isFinite(at) ? nowMs - at : undefined;
}

function problemOf(pod: ObservedPod, nowMs: number, restartExpected: boolean): string | undefined {
  const waiting = pod.container?.waiting;
  if (waiting && CANNOT_START.has(waiting.reason)) return `${pod.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  if (pod.unschedulable) return `${pod.name} cannot be scheduled: ${pod.unschedulable}`;
  if (pod.phase === 'Unknown') return `${pod.name}: its node does not respond`;
  if (pod.phase === 'Failed') return `${pod.name} failed`;
  if (pod.ready) return undefined;
  const running = elapsedMs(pod.container?.runningSince, nowMs);
  const restarts = pod.container?.restarts ?? 0;
  // Not ready after a crash, while the engine is down or just back: a problem at once.
  if (restarts > 0 && !restartExpected && (running === undefined || running < STARTUP_GRACE_MS)) return `${pod.name} is not ready after ${restarts} restart${restarts === 1 ? '' : 's'}`;
  // A young engine is starting; an older one not ready for a while hangs, or its sync never ends.
  if (running === undefined || running < STARTUP_GRACE_MS) return undefined;
  const notReady = elapsedMs(pod.notReadySince, nowMs);
  if (notReady !== undefined && notReady > NOT_READY_GRACE_MS) return `${pod.name} has not been ready for ${Math.round(notReady / 1000)} s`;
  return undefined;
}

/**
 * The problems, one phrase each. Pods beyond spec.replicas (a scale-down removing them) are no concern, and neither is
 * a missing one: the StatefulSet recreates it at once, and one it cannot create shows as Pending with a reason.
 */
export function podProblems(input: PodProblemsInput): string[] {
  const problems: string[] = [];
  const nowMs = input.now.getTime();
  for (const pod of input.pods) {
    if (pod.ordinal >= input.desiredReplicas) continue;
    // Being deleted (a user, an eviction, a rollout): the StatefulSet recreates it on its volume.
    if (pod.terminating && pod.phase !== 'Unknown' && pod.phase !== 'Failed') continue;
    const problem = problemOf(pod, nowMs, input.restartExpected?.(pod.name) === true);
    if (problem) problems.push(problem);
  }
  return problems;
}
