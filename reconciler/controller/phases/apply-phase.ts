/**
 * The apply phase: the desired objects (built from the resolved store, with the StatefulSet size the scale plan
 * allows) applied where they differ from the cache. A pass that found everything as desired is remembered by its
 * state key, so a periodic resync of an unchanged store builds nothing.
 */
import type { KubeObject } from '../../../kube/client.js';
import { applyDesired, appliedStateKey, type ApplyOutcome } from '../apply-desired.js';
import type { ControllerContext } from '../context.js';
import type { ObservedPod } from '../observed.js';
import { planScale, type ScalePlan } from '../plan-scale.js';
import type { TopologyPlan } from '../plan-topology.js';
import type { AppliedMemory } from '../store-memory.js';
import type { Blocked } from '../store-secrets.js';
import type { ReconcileTarget } from './resolve-phase.js';

/** The parts of the live StatefulSet a reconcile reads. */
export interface LiveStatefulSet {
  spec?: { replicas?: number };
  status?: { currentRevision?: string; updateRevision?: string };
}


const NOTHING_APPLIED: ApplyOutcome = { configChanged: false, statefulSetChanged: false, grownClaims: [], changed: false };

export function liveStatefulSetOf(context: ControllerContext, target: ReconcileTarget): LiveStatefulSet | undefined {
  return context.informers.statefulSets.get(target.resolved.namespace, target.resolved.name) as LiveStatefulSet | undefined;
}

export function scaleFor(target: ReconcileTarget, plan: TopologyPlan, pods: ObservedPod[], live: LiveStatefulSet | undefined): ScalePlan {
  const masterPod = pods.find((pod) => pod.name === (plan.master ?? target.store.status?.master));
  return planScale({ desiredReplicas: target.resolved.spec.replicas ?? 3, currentReplicas: live?.spec?.replicas, master: masterPod });
}

export async function applyPhase(
  context: ControllerContext, target: ReconcileTarget, memory: AppliedMemory, scale: ScalePlan,
): Promise<{ applied: ApplyOutcome; blocked?: Blocked }> {
  const { store, resolved } = target;
  const stateKey = appliedStateKey(context, store, scale.statefulSetReplicas, resolved.spec.networkPolicy?.enabled === true);
  let applied = NOTHING_APPLIED;
  if (stateKey === undefined || stateKey !== memory.stateKey) {
    const desired = context.buildDesired(resolved);
    desired.statefulSet.spec!.replicas = scale.statefulSetReplicas;
    applied = await applyDesired(context, store, desired, memory);
    // Only a pass that found everything as desired may be skipped next time (a blocked change is reported again).
    memory.stateKey = applied.changed || applied.blocked ? undefined : stateKey;
  }
  if (applied.blocked) {
    await context.events.record(store as KubeObject, { type: 'Warning', reason: 'UnsupportedChange', message: applied.blocked.message });
  }
  if (applied.statefulSetChanged && scale.direction !== 'none') {
    await context.events.record(store as KubeObject, { type: 'Normal', reason: 'Scaled', message: `StatefulSet scaled to ${scale.statefulSetReplicas} pods` });
  }
  return { applied, blocked: applied.blocked };
}
