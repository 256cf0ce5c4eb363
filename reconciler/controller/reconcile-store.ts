/**
 * One reconcile of one store: finalizer, Secrets, desired objects, then the engines (probe, elect, repoint, label),
 * scale, live config and password, and finally status and Events. Decisions come from the pure planners; this file
 * only sequences I/O. Everything is derived again from live state on every run, so a reconcile that died half-way is
 * simply finished by the next one.
 */
import { KVSTORE_FINALIZER, LABEL_ROLE } from '../../shared/labels.js';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import { formatLabelSelector, storeSelectorLabels } from '../../shared/labels.js';
import type { KVStore, KVStoreSpec, KVStoreStatus } from '../../shared/schema/kvstore.js';
import { DEFAULT_DOWN_AFTER_MILLISECONDS } from '../../shared/defaults.js';
import type { HandlerResult } from '../../kube/work-queue.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeObject } from '../../kube/client.js';
import { observePods, type ObservedPod } from './observed.js';
import { planTopology, type TopologyPlan } from './plan-topology.js';
import { planScale } from './plan-scale.js';
import { computeStatus, statusChanged } from './status.js';
import { transitionEvents } from './events.js';
import { ensureExporterSecret, ensurePassword, ensureTlsSecret, type Blocked } from './store-secrets.js';
import { passwordAcceptedByAll, readPasswordRecord, recordPassword, type PasswordRecord } from './password-record.js';
import { probePods, type EngineCredentials } from './engine-access.js';
import { executeTopology, switchMaster, syncLiveSettings } from './engine-actions.js';
import { isOutdated, planRollout, type RolloutStep } from './plan-rollout.js';
import { finalizeDeletion } from './deletion.js';
import { restartAwaitedPods } from './restart-awaited-pods.js';
import { applyDesired, appliedStateKey, type ApplyOutcome } from './apply-desired.js';
import type { ControllerContext, StoreRuntime } from './context.js';

/** Re-run soon while pods start or sync (engine progress produces no Kubernetes event). */
const PROGRESS_REQUEUE_MS = 1000;
/** Refresh a healthy store's status (offsets, lag) now and then. */
const STEADY_REQUEUE_MS = 30_000;

function splitKey(key: string): { namespace: string; name: string } {
  const [namespace, name] = key.split('/') as [string, string];
  return { namespace, name };
}

async function ensureFinalizer(context: ControllerContext, store: KVStore): Promise<KVStore> {
  const finalizers = store.metadata?.finalizers ?? [];
  if (finalizers.includes(KVSTORE_FINALIZER)) return store;
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const updated = await context.client.patch<KVStore>(paths.kvstore(namespace, name), {
    metadata: { finalizers: [...finalizers, KVSTORE_FINALIZER], resourceVersion: store.metadata?.resourceVersion },
  });
  await context.events.record(store as KubeObject, { type: 'Normal', reason: 'Created', message: 'reconciling a new store' });
  return updated;
}

function runtimeOf(context: ControllerContext, key: string): StoreRuntime {
  let runtime = context.runtimes.get(key);
  if (!runtime) {
    runtime = {};
    context.runtimes.set(key, runtime);
  }
  return runtime;
}

async function patchRoleLabels(context: ControllerContext, namespace: string, plan: TopologyPlan): Promise<void> {
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

/** Conditions and records other components own; a status write keeps the live ones. */
const FOREIGN_CONDITIONS = new Set(['PolicyCompliant', 'SnapshotSucceeded']);

function withForeignFields(status: KVStoreStatus, live: KVStoreStatus | undefined): KVStoreStatus {
  const own = (status.conditions ?? []).filter((condition) => !FOREIGN_CONDITIONS.has(condition.type));
  const foreign = (live?.conditions ?? []).filter((condition) => FOREIGN_CONDITIONS.has(condition.type));
  const merged: KVStoreStatus = { ...status, conditions: [...own, ...foreign] };
  if (live?.lastSnapshot) merged.lastSnapshot = live.lastSnapshot;
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

/**
 * Passwords to try on the pods, in order: the Secret's (the pods accept it unless a rotation is due), the last one
 * this process saw accepted, then the operator's record (what the pods accepted, surviving operator restarts: a
 * Secret changed while the operator was down is still rotated live).
 */
function credentialsFor(runtime: StoreRuntime, password: string | undefined, record: PasswordRecord): EngineCredentials {
  const candidates = [password, runtime.lastPassword, record.password, record.previous];
  const passwords = [...new Set(candidates.filter((candidate): candidate is string => candidate !== undefined))];
  return { passwords, tls: runtime.tlsCaPem ? { ca: runtime.tlsCaPem } : undefined };
}

export async function reconcileStore(context: ControllerContext, key: string): Promise<HandlerResult> {
  const { namespace, name } = splitKey(key);
  let store = context.informers.stores.get(namespace, name) as KVStore | undefined;
  if (!store) {
    context.runtimes.delete(key);
    context.onStoreGone?.(key);
    return {};
  }
  if (store.metadata?.deletionTimestamp) {
    await finalizeDeletion(context, store);
    context.runtimes.delete(key);
    context.onStoreGone?.(key);
    return {};
  }
  store = await ensureFinalizer(context, store);
  const spec: KVStoreSpec = applyKVStoreDefaults(store.spec, name);
  const runtime = runtimeOf(context, key);
  const blocked: Blocked[] = [];

  const passwordOutcome = await ensurePassword(context.client, context.informers.secrets, store, spec);
  if (passwordOutcome.blocked) blocked.push(passwordOutcome.blocked);
  // Before the StatefulSet: the engine and exporter containers take the exporter password from this Secret.
  const exporterSecretOutcome = await ensureExporterSecret(context.client, context.informers.secrets, store);
  if (exporterSecretOutcome.blocked) blocked.push(exporterSecretOutcome.blocked);
  const tlsOutcome = await ensureTlsSecret(context.client, context.informers.secrets, store, spec, context.loadCa);
  if (tlsOutcome.blocked) blocked.push(tlsOutcome.blocked);
  if (tlsOutcome.issued) await context.events.record(store as KubeObject, { type: 'Normal', reason: 'TlsIssued', message: 'issued the TLS Secret from the operator CA' });
  runtime.tlsCaPem = spec.tls?.enabled === true ? tlsOutcome.caPem : undefined;
  const password = passwordOutcome.password;

  // Observe before applying: the StatefulSet size depends on where the master is.
  const podObjects = context.informers.pods.listIndexed(key);
  let observed = observePods(name, podObjects as never);
  const record = readPasswordRecord(context.informers.secrets, namespace, name);
  const credentials = credentialsFor(runtime, password, record);
  let probed = await probePods(name, namespace, observed, credentials, context.probeTimeoutMs);
  observed = probed.pods;

  const topologyInput = (pods: ObservedPod[]) => ({
    pods,
    knownMaster: store!.status?.master,
    masterDownConfirmed: runtime.masterDown !== undefined,
    failoverEnabled: spec.failover?.enabled !== false,
    port: 6379,
    dataBounds: runtime.dataBounds,
  });
  let plan = planTopology(topologyInput(observed));
  if (plan.awaiting) await restartAwaitedPods(context, store, plan.awaiting, observed, runtime);

  const liveStatefulSet = context.informers.statefulSets.get(namespace, name) as { spec?: { replicas?: number }; status?: { currentRevision?: string; updateRevision?: string } } | undefined;
  const masterPod = observed.find((pod) => pod.name === (plan.master ?? store!.status?.master));
  const scale = planScale({ desiredReplicas: spec.replicas ?? 3, currentReplicas: liveStatefulSet?.spec?.replicas, master: masterPod });

  let rollout: RolloutStep = { kind: 'none' };
  const engineAuth = { password, tls: credentials.tls, passwordByPod: probed.passwordByPod };
  let changedEngines = false;
  let failover: KVStoreStatus['lastFailover'];
  if (!blocked.length || passwordOutcome.password !== undefined || spec.authentication?.enabled === false) {
    // Engines first: after a lost master, promotion is what brings writes back; objects can follow.
    if (plan.master || plan.labels.length > 0) {
      const result = await executeTopology(context, store, plan, observed, engineAuth);
      changedEngines = result.changed;
      if (plan.promote && plan.previousMaster) runtime.promotedAtMs ??= Date.now();
      await patchRoleLabels(context, namespace, plan);
    }
    const stateKey = appliedStateKey(context, store, scale.statefulSetReplicas, spec.networkPolicy?.enabled === true);
    let applied: ApplyOutcome = { configChanged: false, statefulSetChanged: false, grownClaims: [], changed: false };
    if (stateKey === undefined || stateKey !== runtime.appliedStateKey) {
      const desired = context.buildDesired(store);
      desired.statefulSet.spec!.replicas = scale.statefulSetReplicas;
      applied = await applyDesired(context, store, desired, runtime);
      // Only a pass that found everything as desired may be skipped next time (a blocked change is reported again).
      runtime.appliedStateKey = applied.changed || applied.blocked ? undefined : stateKey;
    }
    if (applied.blocked) {
      blocked.push(applied.blocked);
      await context.events.record(store as KubeObject, { type: 'Warning', reason: 'UnsupportedChange', message: applied.blocked.message });
    }
    if (applied.statefulSetChanged && scale.direction !== 'none') {
      await context.events.record(store as KubeObject, { type: 'Normal', reason: 'Scaled', message: `StatefulSet scaled to ${scale.statefulSetReplicas} pods` });
    }
    if (scale.moveMasterBelowOrdinal !== undefined && plan.master && !plan.promote) {
      const below = scale.moveMasterBelowOrdinal;
      const moved = await switchMaster(context, store, spec, observed, probed.states, plan.master, (pod) => pod.ordinal < below, 'scale-down', engineAuth);
      if (moved) {
        changedEngines = true;
        runtime.switchoverReason = 'ScaleDownSwitchover';
      }
    }
    if (!changedEngines && plan.master && !plan.promote && plan.replicaOf.length === 0) {
      rollout = planRollout({ pods: observed, updateRevision: liveStatefulSet?.status?.updateRevision, master: plan.master, desiredReplicas: spec.replicas ?? 3 });
      if (rollout.kind === 'delete') {
        await context.client.delete(paths.coreObject('pods', namespace, rollout.pod));
        await context.events.record(store as KubeObject, { type: 'Normal', reason: 'RollingUpdate', message: rollout.reason });
      } else if (rollout.kind === 'switchover') {
        const revision = liveStatefulSet?.status?.updateRevision;
        if (await switchMaster(context, store, spec, observed, probed.states, plan.master, (pod) => !isOutdated(pod, revision), 'rolling update', engineAuth)) {
          changedEngines = true;
          runtime.switchoverReason = 'RollingUpdateSwitchover';
        }
      }
    }
    if (plan.master && !plan.promote) {
      const settingsChanged = await syncLiveSettings(context, store, spec, observed, probed, runtime, applied.configChanged, engineAuth);
      if (settingsChanged) changedEngines = true;
    }
    if (password !== undefined) runtime.lastPassword = password;
  }

  if (changedEngines) {
    // Status reports what is true after the actions, not before.
    const fresh = observePods(name, context.informers.pods.listIndexed(key) as never);
    probed = await probePods(name, namespace, fresh, credentialsFor(runtime, password, record), context.probeTimeoutMs);
    observed = probed.pods.map((pod) => ({ ...pod, roleLabel: plan.labels.find((step) => step.pod === pod.name)?.role ?? pod.roleLabel }));
    plan = planTopology({ ...topologyInput(observed), knownMaster: plan.master ?? store.status?.master });
    // A switchover moved the master: move the role labels now, so the master Service follows at once instead of
    // sending clients to the demoted pod (READONLY) until the next reconcile.
    if (plan.master && !plan.promote && plan.labels.length > 0) {
      await patchRoleLabels(context, namespace, plan);
      observed = observed.map((pod) => ({ ...pod, roleLabel: plan.labels.find((step) => step.pod === pod.name)?.role ?? pod.roleLabel }));
    }
  }

  if (password !== undefined && passwordAcceptedByAll(probed.passwordByPod) === password) {
    try {
      await recordPassword(context.client, store, record, password);
    } catch (error) {
      // Not fatal: the record is only needed after a restart, and the next reconcile writes it again.
      context.logger.warn({ store: key, err: error }, 'recording the password in use failed');
    }
  }

  // Any change of master since the recorded one is a failover to record, even when the promotion happened in a
  // reconcile that failed afterwards (or in a reconciler that died): the record comes from live roles.
  const recordedMaster = store.status?.master;
  // The recorded master answers again (or there was none): a down verdict without a failover is void.
  if (plan.master && (!recordedMaster || plan.master === recordedMaster)) runtime.masterDown = undefined;
  if (recordedMaster && plan.master && plan.master !== recordedMaster) {
    const promotedAtMs = runtime.promotedAtMs ?? Date.now();
    const detectedAtMs = runtime.masterDown?.detectedAtMs ?? promotedAtMs;
    failover = {
      time: new Date(promotedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      from: recordedMaster,
      to: plan.master,
      reason: runtime.switchoverReason ?? runtime.masterDown?.reason ?? 'MasterLost',
      durationMs: Math.max(0, promotedAtMs - detectedAtMs),
    };
  }
  const updating = rollout.kind !== 'none' || observed.some((pod) => !pod.terminating && isOutdated(pod, liveStatefulSet?.status?.updateRevision));
  const status = computeStatus({
    generation: store.metadata?.generation,
    desiredReplicas: spec.replicas ?? 3,
    selector: formatLabelSelector(storeSelectorLabels(name)),
    pods: observed,
    plan,
    previous: store.status,
    now: new Date(),
    failover,
    updating,
    blocked: blocked[0],
    operatorCutOff: runtime.operatorCutOff,
  });
  if (statusChanged(store.status, status)) {
    await writeStatus(context, store, status);
    if (failover) {
      if (!runtime.switchoverReason) context.metrics?.failovers.inc({ namespace, name });
      runtime.masterDown = undefined;
      runtime.promotedAtMs = undefined;
      runtime.switchoverReason = undefined;
    }
    for (const event of transitionEvents(store.status, status)) await context.events.record(store as KubeObject, event);
  }
  context.metrics?.observeStore(key, status);
  if (plan.master) {
    context.watchMaster?.(key, name, namespace, observed, plan.master, password, credentials.tls, spec.failover?.downAfterMilliseconds ?? DEFAULT_DOWN_AFTER_MILLISECONDS);
  }

  if (status.phase === 'Ready') return { requeueAfterMs: STEADY_REQUEUE_MS };
  // A missing user-named Secret carries no redwing label, so no event announces it: look again now and then.
  if (blocked.length > 0) return { requeueAfterMs: STEADY_REQUEUE_MS };
  // Engine progress (sync, loading) produces no Kubernetes event, so running pods are polled; pods that are not
  // running report their progress through pod events, and a blocked spec waits for the next spec change.
  const anyRunning = observed.some((pod) => pod.phase === 'Running');
  return anyRunning ? { requeueAfterMs: PROGRESS_REQUEUE_MS } : {};
}
