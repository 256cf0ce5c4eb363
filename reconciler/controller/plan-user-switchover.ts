/**
 * Whether a user-requested switchover (annotation redwing.dev/switchover) may run now, and to which pods. Pure: the
 * operations phase carries the answer out through switchMaster, the one switchover path, whose own checks (a replica
 * in sync, on the master's history, its link up) decide the final target. Every refusal names why and what to do,
 * since the annotation is removed either way and the user asks again.
 */
import { SWITCHOVER_ANY, switchoverRequestProblem } from '../../shared/labels.js';
import type { ObservedPod } from './observed.js';

export interface UserSwitchoverInput {
  /** The annotation's value; undefined when the store carries none. */
  request?: string;
  storeName: string;
  desiredReplicas: number;
  /** The store's phase in its last written status: only a Ready store takes a switchover. */
  phase?: string;
  /** The elected master (undefined: none yet). */
  master?: string;
  /** A failover is under way: the master was declared lost, or a promotion is planned in this reconcile. */
  failingOver: boolean;
  /** Another planned move already runs in this reconcile (scale-down handover, replicas being repointed). */
  otherMove?: string;
  pods: Pick<ObservedPod, 'name' | 'ordinal' | 'ready' | 'terminating'>[];
}

export type UserSwitchoverDecision =
  | { kind: 'none' }
  | { kind: 'refuse'; reason: string }
  /** Hand the master to one of `candidates` (ready pods that stay), the most caught-up in-sync one. */
  | { kind: 'switch'; from: string; candidates: string[] };

const ASK_AGAIN = `set the annotation again once the store is Ready`;

function refuse(reason: string): UserSwitchoverDecision {
  return { kind: 'refuse', reason };
}

export function planUserSwitchover(input: UserSwitchoverInput): UserSwitchoverDecision {
  const { request, storeName, desiredReplicas } = input;
  if (request === undefined) return { kind: 'none' };
  const problem = switchoverRequestProblem(request, storeName, desiredReplicas);
  if (problem) return refuse(`the request ${problem}; set it to a replica's pod name or '${SWITCHOVER_ANY}'`);
  if (input.failingOver || !input.master) return refuse(`a failover is under way (no settled master); ${ASK_AGAIN}`);
  if (input.otherMove) return refuse(`${input.otherMove} is under way; ${ASK_AGAIN}`);
  if (input.phase !== 'Ready') return refuse(`the store is ${input.phase ?? 'not yet reported'}, not Ready; ${ASK_AGAIN}`);
  if (request === input.master) return refuse(`${request} is already the master; name a replica, or '${SWITCHOVER_ANY}'`);
  const stays = (pod: UserSwitchoverInput['pods'][number]) => pod.name !== input.master && pod.ordinal < desiredReplicas && !pod.terminating;
  if (request !== SWITCHOVER_ANY) {
    const pod = input.pods.find((candidate) => candidate.name === request);
    if (!pod || !stays(pod)) return refuse(`pod ${request} does not exist or is leaving; name a running replica, or '${SWITCHOVER_ANY}'`);
    if (!pod.ready) return refuse(`pod ${request} is not ready; wait until it is, or ask for '${SWITCHOVER_ANY}'`);
    return { kind: 'switch', from: input.master, candidates: [pod.name] };
  }
  const candidates = input.pods.filter((pod) => stays(pod) && pod.ready).map((pod) => pod.name);
  if (candidates.length === 0) return refuse(`the store has no ready replica to hand the master to; add replicas (spec.replicas) or wait until one is ready`);
  return { kind: 'switch', from: input.master, candidates };
}
