/**
 * The operations phase: the planned moves and live changes of a store whose master is settled: move the master off
 * an ordinal the scale-down removes, roll one outdated pod (or hand the master over first), rotate the password and
 * apply live settings. Nothing here runs while a promotion is under way.
 */
import type { KubeObject } from '../../../kube/client.js';
import { paths } from '../../../kube/paths.js';
import type { ControllerContext } from '../context.js';
import type { ProbedPods } from '../engine-access.js';
import { switchMaster, syncLiveSettings, type EngineActionContext, type EngineAuth } from '../engine-actions.js';
import { isOutdated, planRollout, type RolloutStep } from '../plan-rollout.js';
import type { ScalePlan } from '../plan-scale.js';
import type { TopologyPlan } from '../plan-topology.js';
import type { StoreMemory } from '../store-memory.js';
import type { LiveStatefulSet } from './apply-phase.js';
import type { ReconcileTarget } from './resolve-phase.js';

export interface OperationsInput {
  plan: TopologyPlan;
  probed: ProbedPods;
  scale: ScalePlan;
  liveStatefulSet?: LiveStatefulSet;
  auth: EngineAuth;
  /** The ConfigMap changed in this reconcile: settings are pushed live even when their hash is unchanged. */
  configChanged: boolean;
  /** The topology phase already changed an engine: no planned move on top of it in the same reconcile. */
  enginesChanged: boolean;
  signal: AbortSignal;
}

export interface OperationsOutcome {
  changed: boolean;
  rollout: RolloutStep;
}

async function rollOnePod(
  context: ControllerContext, actions: EngineActionContext, target: ReconcileTarget, memory: StoreMemory, input: OperationsInput, master: string,
): Promise<OperationsOutcome> {
  const { store, resolved } = target;
  const pods = input.probed.pods;
  const revision = input.liveStatefulSet?.status?.updateRevision;
  const rollout = planRollout({ pods, updateRevision: revision, master, desiredReplicas: resolved.spec.replicas ?? 3 });
  if (rollout.kind === 'delete') {
    await context.client.delete(paths.coreObject('pods', resolved.namespace, rollout.pod));
    await context.events.record(store as KubeObject, { type: 'Normal', reason: 'RollingUpdate', message: rollout.reason });
    return { changed: false, rollout };
  }
  if (rollout.kind === 'switchover' && await switchMaster(actions, store, resolved.spec, pods, input.probed.states, master, (pod) => !isOutdated(pod, revision), 'rolling update', input.auth)) {
    memory.failover.switchedOver('RollingUpdateSwitchover');
    return { changed: true, rollout };
  }
  return { changed: false, rollout };
}

export async function operationsPhase(context: ControllerContext, target: ReconcileTarget, memory: StoreMemory, input: OperationsInput): Promise<OperationsOutcome> {
  const { plan, probed, scale } = input;
  const { store, resolved } = target;
  const actions: EngineActionContext = { logger: context.logger, events: context.events, signal: input.signal };
  let changed = false;
  let rollout: RolloutStep = { kind: 'none' };
  if (!plan.master || plan.promote) return { changed, rollout };
  if (scale.moveMasterBelowOrdinal !== undefined) {
    const below = scale.moveMasterBelowOrdinal;
    if (await switchMaster(actions, store, resolved.spec, probed.pods, probed.states, plan.master, (pod) => pod.ordinal < below, 'scale-down', input.auth)) {
      changed = true;
      memory.failover.switchedOver('ScaleDownSwitchover');
    }
  }
  if (!changed && !input.enginesChanged && plan.replicaOf.length === 0) {
    const rolled = await rollOnePod(context, actions, target, memory, input, plan.master);
    rollout = rolled.rollout;
    changed = rolled.changed;
  }
  if (await syncLiveSettings(actions, store, resolved.spec, probed.pods, probed, memory.liveSettings, input.configChanged, input.auth)) changed = true;
  return { changed, rollout };
}
