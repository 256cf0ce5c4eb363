/**
 * The status phase: the failover record from the failover clock, the status computed from what this reconcile
 * observed, written when it changed (keeping the fields other writers own), the Events its transitions imply, and
 * the health monitor pointed at the master. Ends with when to look again.
 */
import { formatLabelSelector, storeSelectorLabels } from '../../../shared/labels.js';
import { DEFAULT_DOWN_AFTER_MILLISECONDS } from '../../../shared/defaults.js';
import type { KVStore, KVStoreStatus } from '../../../shared/schema/kvstore.js';
import { isConflict } from '../../../kube/errors.js';
import { paths } from '../../../kube/paths.js';
import type { KubeObject } from '../../../kube/client.js';
import type { HandlerResult } from '../../../kube/work-queue.js';
import type { ControllerContext } from '../context.js';
import type { EngineCredentials } from '../engine-access.js';
import { transitionEvents } from '../events.js';
import type { ObservedPod } from '../observed.js';
import type { TopologyPlan } from '../plan-topology.js';
import { isOutdated } from '../plan-rollout.js';
import { withReportedFailure } from '../reconciled-condition.js';
import { computeStatus, statusChanged } from '../status.js';
import type { StoreMemory } from '../store-memory.js';
import type { Blocked } from '../store-secrets.js';
import type { ReconcileTarget } from './resolve-phase.js';

/** Re-run soon while pods start or sync (engine progress produces no Kubernetes event). */
const PROGRESS_REQUEUE_MS = 1000;
/** Refresh a healthy store's status (offsets, lag) now and then. */
const STEADY_REQUEUE_MS = 30_000;
/** A store waiting for a Secret its user must create: soon after they do, it starts (nothing else announces it). */
const BLOCKED_REQUEUE_MS = 5_000;

/** Conditions and records other components own; a status write keeps the live ones. */
const FOREIGN_CONDITIONS = new Set(['PolicyCompliant', 'SnapshotSucceeded']);

function withForeignFields(status: KVStoreStatus, live: KVStoreStatus | undefined): KVStoreStatus {
  const own = (status.conditions ?? []).filter((condition) => !FOREIGN_CONDITIONS.has(condition.type));
  const foreign = (live?.conditions ?? []).filter((condition) => FOREIGN_CONDITIONS.has(condition.type));
  const merged: KVStoreStatus = { ...status, conditions: [...own, ...foreign] };
  if (live?.lastSnapshot) merged.lastSnapshot = live.lastSnapshot;
  if (live?.restore) merged.restore = live.restore;
  return merged;
}

/**
 * Writes the status with a resourceVersion precondition, so a concurrent writer's change (the policy audit's
 * condition, the snapshot record) is never overwritten with what this reconcile read. On a conflict the store is
 * read again and the write retried with its fields: what this reconcile did (a failover record) is never dropped.
 */
async function writeStatus(context: ControllerContext, store: KVStore, status: KVStoreStatus): Promise<void> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  let current = store;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: withForeignFields(status, current.status) };
      await context.client.patch(`${paths.kvstore(namespace, name)}/status`, body);
      return;
    } catch (error) {
      if (!isConflict(error) || attempt >= 4) throw error;
      current = await context.client.get<KVStore>(paths.kvstore(namespace, name));
    }
  }
}

export interface StatusInput {
  pods: ObservedPod[];
  plan: TopologyPlan;
  blocked: Blocked[];
  /** A rollout step ran in this reconcile. */
  rolling: boolean;
  updateRevision?: string;
  password?: string;
  credentials: EngineCredentials;
}

/** When to reconcile again, from the status written. Pure. */
export function requeueAfter(status: KVStoreStatus, blocked: boolean, pods: ObservedPod[]): HandlerResult {
  if (status.phase === 'Ready') return { requeueAfterMs: STEADY_REQUEUE_MS };
  // A missing user-named Secret carries no redwing label, so no event announces it: look again now and then.
  if (blocked) return { requeueAfterMs: BLOCKED_REQUEUE_MS };
  // Engine progress (sync, loading) produces no Kubernetes event, so running pods are polled; pods that are not
  // running report their progress through pod events, and a blocked spec waits for the next spec change.
  return pods.some((pod) => pod.phase === 'Running') ? { requeueAfterMs: PROGRESS_REQUEUE_MS } : {};
}

export async function statusPhase(context: ControllerContext, target: ReconcileTarget, memory: StoreMemory, input: StatusInput): Promise<HandlerResult> {
  const { store, resolved, key } = target;
  const { pods, plan } = input;
  // Any change of master since the recorded one is a failover to record, even when the promotion happened in a
  // reconcile that failed afterwards (or in a reconciler that died): the record comes from live roles.
  const failover = memory.failover.settle(store.status?.master, plan.master);
  // A Reconciled=False this process wrote counts as the previous status even before the informer delivers it.
  const previous = withReportedFailure(store.status, memory.reconcile.failedCondition);
  const updating = input.rolling || pods.some((pod) => !pod.terminating && isOutdated(pod, input.updateRevision));
  const status = computeStatus({
    generation: store.metadata?.generation,
    desiredReplicas: resolved.spec.replicas ?? 3,
    selector: formatLabelSelector(storeSelectorLabels(resolved.name)),
    pods, plan, previous, now: new Date(), failover, updating,
    blocked: input.blocked[0],
    operatorCutOff: memory.failover.operatorCutOff,
    restartExpected: (pod) => memory.failover.exitIsExpected(pod),
  });
  if (statusChanged(previous, status)) {
    await writeStatus(context, store, status);
    memory.reconcile.failedCondition = undefined;
    if (failover && memory.failover.recorded().unplanned) context.metrics?.failovers.inc({ namespace: resolved.namespace, store: resolved.name });
    const switchedOver = memory.failover.switchedOverTo(status.master);
    for (const event of transitionEvents(store.status, status, { switchedOver })) await context.events.record(store as KubeObject, event);
  }
  context.metrics?.observeStore(key, status);
  if (plan.master) {
    context.watchMaster?.({
      key, storeName: resolved.name, namespace: resolved.namespace, pods, master: plan.master, password: input.password, tls: input.credentials.tls,
      downAfterMilliseconds: resolved.spec.failover?.downAfterMilliseconds ?? DEFAULT_DOWN_AFTER_MILLISECONDS,
    });
  }
  return requeueAfter(status, input.blocked.length > 0, pods);
}
