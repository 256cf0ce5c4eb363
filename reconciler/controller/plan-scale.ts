/**
 * Scale decisions. The StatefulSet removes the highest ordinals on scale-down, so when the master is among them the
 * StatefulSet keeps its size until the master has been switched over to a pod that stays. Pure.
 */
import type { ObservedPod } from './observed.js';

export interface ScaleInput {
  desiredReplicas: number;
  /** The live StatefulSet's spec.replicas (undefined when it does not exist yet). */
  currentReplicas?: number;
  master?: Pick<ObservedPod, 'name' | 'ordinal'>;
}

export interface ScalePlan {
  /** The replicas to write into the StatefulSet now. */
  statefulSetReplicas: number;
  /** The master must move to a pod with an ordinal below this before the StatefulSet shrinks. */
  moveMasterBelowOrdinal?: number;
  direction: 'up' | 'down' | 'none';
}

export function planScale(input: ScaleInput): ScalePlan {
  const current = input.currentReplicas;
  const direction = current === undefined || current === input.desiredReplicas ? 'none' : input.desiredReplicas > current ? 'up' : 'down';
  if (input.master && input.master.ordinal >= input.desiredReplicas) {
    return {
      statefulSetReplicas: Math.max(current ?? input.desiredReplicas, input.master.ordinal + 1),
      moveMasterBelowOrdinal: input.desiredReplicas,
      direction,
    };
  }
  return { statefulSetReplicas: input.desiredReplicas, direction };
}
