/**
 * One reconcile of one store, as named phases: resolve, secrets, observe, topology, apply, operations, refresh,
 * status. Each phase has its own input and output and owns one part of the store's memory (store-memory.ts);
 * decisions come from the pure planners, and this file only sequences them. An error comes out as a PhaseError
 * naming the phase (the controller reports it as a ReconcileFailed Event), and the signal is checked between
 * phases and before every engine command, so a reconcile in flight when the lease is lost stops acting. Everything
 * is derived again from live state on every run, so a reconcile that died half-way is simply finished by the next one.
 */
import type { HandlerResult } from '../../kube/work-queue.js';
import { inPhase } from '../../kube/runtime/reconcile-error.js';
import type { ControllerContext } from './context.js';
import { finalizeDeletion } from './deletion.js';
import type { EngineAuth } from './engine-actions.js';
import { applyPhase, liveStatefulSetOf, scaleFor } from './phases/apply-phase.js';
import { observePhase } from './phases/observe-phase.js';
import { operationsPhase } from './phases/operations-phase.js';
import { resolvePhase } from './phases/resolve-phase.js';
import { restorePhase } from './phases/restore-phase.js';
import { recordAcceptedPassword, secretsPhase } from './phases/secrets-phase.js';
import { statusPhase } from './phases/status-phase.js';
import { settleTopology, topologyPhase } from './phases/topology-phase.js';

export type ReconcilePhase = 'resolve' | 'delete' | 'secrets' | 'observe' | 'restore' | 'topology' | 'apply' | 'operations' | 'refresh' | 'status';

/** Runs `work` as `phase`, refusing to start it once the signal fired. */
function phase<T>(name: ReconcilePhase, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return inPhase(name, async () => {
    signal.throwIfAborted();
    return work();
  });
}

function storeGone(context: ControllerContext, key: string): HandlerResult {
  context.memories.forget(key);
  context.onStoreGone?.(key);
  return {};
}

export async function reconcileStore(context: ControllerContext, key: string, signal: AbortSignal = new AbortController().signal): Promise<HandlerResult> {
  const resolution = await phase('resolve', signal, () => resolvePhase(context, key));
  if (resolution.kind === 'gone') return storeGone(context, key);
  if (resolution.kind === 'deleting') {
    const { store, resolved } = resolution.target;
    await phase('delete', signal, () => finalizeDeletion(context, store, resolved, signal));
    return storeGone(context, key);
  }
  const { target } = resolution;
  const memory = context.memories.ensure(key);
  const secrets = await phase('secrets', signal, () => secretsPhase(context, target, memory.credentials));
  const blocked = [...secrets.blocked];
  // Observe before applying: the StatefulSet size depends on where the master is.
  let observation = await phase('observe', signal, () => observePhase(context, target, memory.credentials, secrets.password));
  const auth: EngineAuth = { password: secrets.password, tls: observation.credentials.tls, passwordByPod: observation.probed.passwordByPod };
  // spec.restore on a new store: the data is loaded into its first pod before any election (no writes until then).
  const restore = secrets.enginesReachable
    ? await phase('restore', signal, () => restorePhase(context, target, { pods: observation.probed.pods, auth, signal }))
    : { blocked: false as const, restored: false };
  if (!restore.blocked && restore.restored) observation = await phase('observe', signal, () => observePhase(context, target, memory.credentials, secrets.password));
  const topology = restore.blocked
    ? { plan: { replicaOf: [], labels: [], waiting: restore.waiting }, changed: false }
    : await phase('topology', signal, () => topologyPhase(context, target, memory, {
      pods: observation.probed.pods, auth, enginesReachable: secrets.enginesReachable, signal,
    }));
  let { plan } = topology;
  let pods = observation.probed.pods;
  const liveStatefulSet = liveStatefulSetOf(context, target);
  let changed = topology.changed;
  let rolling = false;
  if (secrets.enginesReachable) {
    const scale = scaleFor(target, plan, pods, liveStatefulSet);
    const applied = await phase('apply', signal, () => applyPhase(context, target, memory.applied, scale));
    if (applied.blocked) blocked.push(applied.blocked);
    const operations = await phase('operations', signal, () => operationsPhase(context, target, memory, {
      plan, probed: observation.probed, scale, liveStatefulSet, auth, configChanged: applied.applied.configChanged, enginesChanged: changed, signal,
    }));
    rolling = operations.rollout.kind !== 'none';
    changed ||= operations.changed;
    if (secrets.password !== undefined) memory.credentials.lastPassword = secrets.password;
  }
  if (changed) {
    // Status reports what is true after the actions, not before.
    ({ plan, pods } = await phase('refresh', signal, async () => {
      observation = await observePhase(context, target, memory.credentials, secrets.password);
      return settleTopology(context, target, memory, observation.probed.pods, plan);
    }));
  }
  const result = await phase('status', signal, async () => {
    await recordAcceptedPassword(context, target, observation.record, secrets.password, observation.probed.passwordByPod);
    return statusPhase(context, target, memory, {
      pods, plan, blocked, rolling, updateRevision: liveStatefulSet?.status?.updateRevision, password: secrets.password, credentials: observation.credentials,
    });
  });
  if (!restore.blocked) return result;
  return { ...result, requeueAfterMs: Math.min(result.requeueAfterMs ?? restore.requeueAfterMs, restore.requeueAfterMs) };
}
