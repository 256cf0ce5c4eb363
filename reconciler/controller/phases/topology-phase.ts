/**
 * The topology phase: elect (pure, plan-topology.ts), recreate pods the election waits for out of their restart
 * back-off, then carry the plan out on the engines (promote, demote, repoint) and move the role labels. Engines come
 * before objects: after a lost master, promotion is what brings writes back.
 */
import { LABEL_ROLE } from '../../../shared/labels.js';
import { ENGINE_PORT } from '../../../shared/defaults.js';
import { isNotFound } from '../../../kube/errors.js';
import { paths } from '../../../kube/paths.js';
import type { ControllerContext } from '../context.js';
import type { EngineAuth } from '../engine-actions.js';
import { executeTopology } from '../engine-actions.js';
import type { ObservedPod } from '../observed.js';
import { planTopology, type TopologyPlan } from '../plan-topology.js';
import { restartAwaitedPods } from '../restart-awaited-pods.js';
import type { StoreMemory } from '../store-memory.js';
import type { ReconcileTarget } from './resolve-phase.js';

export interface TopologyOutcome {
  plan: TopologyPlan;
  /** An engine changed role or master. */
  changed: boolean;
}

export function planFor(target: ReconcileTarget, memory: StoreMemory, pods: ObservedPod[], knownMaster = target.store.status?.master): TopologyPlan {
  return planTopology({
    pods,
    knownMaster,
    masterDownConfirmed: memory.failover.masterDownConfirmed,
    failoverEnabled: target.resolved.spec.failover?.enabled !== false,
    port: ENGINE_PORT,
    dataBounds: memory.election.dataBounds,
    desiredReplicas: target.resolved.spec.replicas ?? 3,
    storeName: target.resolved.name,
  });
}

/** The labels the plan moves, as the pods will carry them. Pure. */
export function withPlannedLabels(pods: ObservedPod[], plan: TopologyPlan): ObservedPod[] {
  return pods.map((pod) => ({ ...pod, roleLabel: plan.labels.find((step) => step.pod === pod.name)?.role ?? pod.roleLabel }));
}

export async function patchRoleLabels(context: ControllerContext, namespace: string, plan: TopologyPlan): Promise<void> {
  // Sequential on purpose: the old master loses its label before the new one gets it.
  for (const step of plan.labels) {
    try {
      await context.client.patch(paths.coreObject('pods', namespace, step.pod), { metadata: { labels: { [LABEL_ROLE]: step.role ?? null } } });
    } catch (error) {
      // A pod that is gone carries no label to fix.
      if (!isNotFound(error)) throw error;
    }
  }
}

export interface TopologyInput {
  pods: ObservedPod[];
  auth: EngineAuth;
  /** False while a missing Secret blocks the engines. */
  enginesReachable: boolean;
  signal: AbortSignal;
}

export async function topologyPhase(context: ControllerContext, target: ReconcileTarget, memory: StoreMemory, input: TopologyInput): Promise<TopologyOutcome> {
  const plan = planFor(target, memory, input.pods);
  if (plan.waiting !== memory.election.lastWaiting) {
    if (plan.waiting) context.logger.info({ store: target.key, waiting: plan.waiting, awaiting: plan.awaiting }, 'election waiting');
    memory.election.lastWaiting = plan.waiting;
  }
  if (plan.awaiting) await restartAwaitedPods(context, target.store, plan.awaiting, input.pods, memory.election);
  if (!input.enginesReachable || (!plan.master && plan.labels.length === 0)) return { plan, changed: false };
  const { changed } = await executeTopology({ logger: context.logger, events: context.events, signal: input.signal }, target.store, plan, input.pods, input.auth);
  if (plan.promote && plan.previousMaster) memory.failover.promoted();
  input.signal.throwIfAborted();
  await patchRoleLabels(context, target.resolved.namespace, plan);
  return { plan, changed };
}

/**
 * After the engines changed: plan again from what they now report. A switchover moved the master: move the role
 * labels now, so the master Service follows at once instead of sending clients to the demoted pod (READONLY) until
 * the next reconcile.
 */
export async function settleTopology(
  context: ControllerContext, target: ReconcileTarget, memory: StoreMemory, pods: ObservedPod[], previous: TopologyPlan,
): Promise<{ plan: TopologyPlan; pods: ObservedPod[] }> {
  const observed = withPlannedLabels(pods, previous);
  const plan = planFor(target, memory, observed, previous.master ?? target.store.status?.master);
  if (!plan.master || plan.promote || plan.labels.length === 0) return { plan, pods: observed };
  await patchRoleLabels(context, target.resolved.namespace, plan);
  return { plan, pods: withPlannedLabels(observed, plan) };
}
