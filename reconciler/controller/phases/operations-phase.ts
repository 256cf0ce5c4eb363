/**
 * The operations phase: the planned moves and live changes of a store whose master is settled: move the master off
 * an ordinal the scale-down removes, carry out (or refuse) a user's switchover request, roll one outdated pod (or hand
 * the master over first), rotate the password and apply live settings. Nothing here runs while a promotion is under
 * way (a switchover request then is refused, not kept).
 */
import type { KubeObject } from '../../../kube/client.js';
import { isStatus } from '../../../kube/errors.js';
import { paths } from '../../../kube/paths.js';
import { ANNOTATION_SWITCHOVER } from '../../../shared/labels.js';
import { errorMessage } from '../../../shared/error-message.js';
import type { ControllerContext } from '../context.js';
import type { ProbedPods } from '../engine-access.js';
import { switchMaster, syncLiveSettings, type EngineActionContext, type EngineAuth } from '../engine-actions.js';
import { isOutdated, planRollout, type RolloutStep } from '../plan-rollout.js';
import { planUserSwitchover } from '../plan-user-switchover.js';
import type { ScalePlan } from '../plan-scale.js';
import type { TopologyPlan } from '../plan-topology.js';
import type { StoreMemory } from '../store-memory.js';
import type { LiveStatefulSet } from './apply-phase.js';
import type { ReconcileTarget } from './resolve-phase.js';
import type { ObservedPod } from '../observed.js';

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
  const request = { accept: (pod: ObservedPod) => !isOutdated(pod, revision), why: 'rolling update' };
  if (rollout.kind === 'switchover') {
    const outcome = await switchMaster(actions, store, resolved.spec, pods, input.probed.states, master, request, input.auth);
    if (outcome.moved) {
      memory.failover.switchedOver('RollingUpdateSwitchover', { from: master, to: outcome.to });
      return { changed: true, rollout };
    }
  }
  return { changed: false, rollout };
}

/** Removes the switchover request, unless the user changed it meanwhile (then the next reconcile judges the new one). */
async function clearSwitchoverRequest(context: ControllerContext, target: ReconcileTarget, request: string): Promise<void> {
  const path = `/metadata/annotations/${ANNOTATION_SWITCHOVER.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  try {
    await context.client.patch(paths.kvstore(target.resolved.namespace, target.resolved.name), [
      { op: 'test', path, value: request }, { op: 'remove', path },
    ], 'json');
  } catch (error) {
    // 404: the store is gone; 409/422: the value changed since it was read (the test op failed), so it is a new request.
    if (isStatus(error, 404, 409, 422)) return;
    throw new Error(`could not remove the ${ANNOTATION_SWITCHOVER} annotation`, { cause: error });
  }
}

/**
 * A user's switchover request (annotation), judged by planUserSwitchover and carried out through switchMaster. The
 * annotation is removed whatever the outcome; a refusal is a Warning Event naming why. True when the master moved.
 */
async function userSwitchover(
  context: ControllerContext, actions: EngineActionContext, target: ReconcileTarget, memory: StoreMemory, input: OperationsInput, request: string,
): Promise<boolean> {
  const { store, resolved } = target;
  const { plan, scale, probed } = input;
  const decision = planUserSwitchover({
    request, storeName: resolved.name, desiredReplicas: resolved.spec.replicas ?? 3, phase: store.status?.phase, master: plan.master,
    failingOver: plan.promote !== undefined || memory.failover.masterDownConfirmed,
    otherMove: scale.moveMasterBelowOrdinal !== undefined ? 'a scale-down handover' : input.enginesChanged || plan.replicaOf.length > 0 ? 'a repointing of replicas' : undefined,
    pods: probed.pods,
  });
  if (decision.kind === 'none') return false;
  const refuse = (reason: string) => context.events.record(store as KubeObject, {
    type: 'Warning', reason: 'SwitchoverRefused', message: `switchover to ${request} refused: ${reason}`,
  });
  let moved = false;
  if (decision.kind === 'refuse') await refuse(decision.reason);
  else {
    const accepted = new Set(decision.candidates);
    try {
      const outcome = await switchMaster(actions, store, resolved.spec, probed.pods, probed.states, decision.from, {
        accept: (pod) => accepted.has(pod.name), why: `requested by the ${ANNOTATION_SWITCHOVER} annotation`, eventReason: 'Switchover',
      }, input.auth);
      if (outcome.moved) {
        moved = true;
        // A requested move is neither a failover nor a planned one to record: status.lastFailover stays as it is.
        memory.failover.switchedOverOnRequest({ from: decision.from, to: outcome.to });
      } else await refuse(`${outcome.reason}; set the annotation again once the replica has caught up`);
    } catch (error) {
      await context.events.record(store as KubeObject, {
        type: 'Warning', reason: 'SwitchoverFailed', message: `switchover to ${request} failed: ${errorMessage(error)}; writes are unpaused and the next reconcile settles the roles from what the pods report; set the annotation again to retry`,
      });
      await clearSwitchoverRequest(context, target, request);
      throw error;
    }
  }
  await clearSwitchoverRequest(context, target, request);
  return moved;
}

export async function operationsPhase(context: ControllerContext, target: ReconcileTarget, memory: StoreMemory, input: OperationsInput): Promise<OperationsOutcome> {
  const { plan, probed, scale } = input;
  const { store, resolved } = target;
  const actions: EngineActionContext = { logger: context.logger, events: context.events, signal: input.signal };
  let changed = false;
  let rollout: RolloutStep = { kind: 'none' };
  const request = store.metadata?.annotations?.[ANNOTATION_SWITCHOVER];
  if (request !== undefined) changed = await userSwitchover(context, actions, target, memory, input, request);
  if (!plan.master || plan.promote) return { changed, rollout };
  if (!changed && scale.moveMasterBelowOrdinal !== undefined) {
    const below = scale.moveMasterBelowOrdinal;
    const outcome = await switchMaster(actions, store, resolved.spec, probed.pods, probed.states, plan.master, { accept: (pod) => pod.ordinal < below, why: 'scale-down' }, input.auth);
    if (outcome.moved) {
      changed = true;
      memory.failover.switchedOver('ScaleDownSwitchover', { from: plan.master, to: outcome.to });
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
