/**
 * The engine-side steps of a reconcile, run through the replication layer: carry out a topology plan (promote,
 * demote, repoint), move the master off an ordinal that is about to be removed, rotate the password and apply live
 * settings. Every step is idempotent in the replication layer, so a retry after a crash converges.
 */
import { createHash } from 'node:crypto';
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { canonicalJson } from '../../shared/json-value.js';
import { buildEngineSettings } from '../desired/engine-settings.js';
import { isLiveSettable } from '../desired/live-settings.js';
import {
  applyConfigLive, demoteMaster, pickSwitchoverTarget, promoteToMaster, replicateFrom, rotatePassword, switchover,
  type EngineState, type EngineTls, type PodCandidate, type PodEndpoint,
} from '../replication/index.js';
import type { ControllerContext } from './context.js';
import type { EventReason } from './events.js';
import type { LiveSettingsMemory } from './store-memory.js';
import { podEndpoint, type ProbedPods } from './engine-access.js';
import type { KubeObject } from '../../kube/client.js';
import type { ObservedPod } from './observed.js';
import type { TopologyPlan } from './plan-topology.js';

export interface EngineAuth {
  password?: string;
  tls?: Omit<EngineTls, 'servername'>;
  /** The password each pod accepted when probed. */
  passwordByPod: Map<string, string | undefined>;
}

function endpointOf(store: KVStore, pod: ObservedPod, auth: EngineAuth): PodEndpoint {
  const password = auth.passwordByPod.has(pod.name) ? auth.passwordByPod.get(pod.name) : auth.password;
  return { pod: pod.name, endpoint: podEndpoint(store.metadata!.name!, store.metadata!.namespace!, pod, password, auth.tls) };
}

/**
 * What the engine steps use of the controller: its logger and its Event recorder. Narrow so the failover benchmark and
 * the process tests drive these very steps on bare redis-server processes, without an API server.
 */
export interface EngineActionContext {
  logger: ControllerContext['logger'];
  events: Pick<ControllerContext['events'], 'record'>;
  /**
   * Fires when this operator may no longer act (lease lost, shutdown). Checked before every engine command these
   * steps send (and inside the promotion steps, between their read and their REPLICAOF), so a reconcile in flight
   * when the lease is lost changes no role afterwards. Absent: the caller acts unconditionally (benchmarks, tests).
   */
  signal?: AbortSignal;
}

export async function executeTopology(context: EngineActionContext, store: KVStore, plan: TopologyPlan, pods: ObservedPod[], auth: EngineAuth): Promise<{ changed: boolean }> {
  if (!plan.master) return { changed: false };
  const byName = new Map(pods.map((pod) => [pod.name, pod]));
  const log = context.logger.child({ store: `${store.metadata?.namespace}/${store.metadata?.name}` });
  let changed = false;
  const { signal } = context;
  if (plan.promote) {
    signal?.throwIfAborted();
    const result = await promoteToMaster(endpointOf(store, byName.get(plan.promote)!, auth), { masterauth: auth.password, signal });
    if (result.outcome === 'failed') throw new Error(`promoting ${plan.promote} failed: ${result.detail}`);
    // What the election saw, so a promotion can be judged afterwards from the log alone.
    const candidates = pods.map((pod) => ({
      pod: pod.name, role: pod.engine?.role, offset: pod.engine?.replicationOffset, keys: pod.engine?.keys, fenced: pod.engine?.state?.fenced,
      linkUp: pod.engine?.masterLinkUp, masterHost: pod.engine?.masterHost, replid: pod.engine?.state?.masterReplid.slice(0, 8), runId: pod.engine?.state?.runId.slice(0, 8),
    }));
    log.info({ pod: plan.promote, reason: plan.reason, detail: result.detail, candidates }, 'promoted master');
    if (plan.reason === 'BestEffort') {
      await context.events.record(store as KubeObject, {
        type: 'Warning', reason: 'DataLossPossible',
        message: `master ${plan.previousMaster ?? '(lost)'} came back empty or is on a lost node; promoted ${plan.promote}, the pod with the most keys, without proof it holds every acknowledged write`,
      });
    }
    changed ||= result.outcome === 'done';
  }
  signal?.throwIfAborted();
  const steps = await Promise.all(plan.replicaOf.map((step) => {
    const pod = byName.get(step.pod)!;
    const target = endpointOf(store, pod, auth);
    const master = { host: step.host, port: step.port };
    const options = { masterauth: auth.password, signal };
    return pod.engine?.role === 'master' ? demoteMaster(target, master, options) : replicateFrom(target, master, options);
  }));
  // A step refused because the signal fired is not a replica that failed to repoint: stop here.
  signal?.throwIfAborted();
  for (const step of steps) {
    if (step.outcome === 'failed') log.warn({ pod: step.pod, detail: step.detail }, 'could not repoint replica');
    else if (step.outcome === 'done') {
      changed = true;
      log.info({ pod: step.pod, action: step.action, detail: step.detail }, 'repointed');
    }
  }
  if (plan.reason === 'SplitBrain' && steps.some((step) => step.action === 'demote' && step.outcome === 'done')) {
    await context.events.record(store as KubeObject, { type: 'Warning', reason: 'SplitBrainResolved', message: `two masters found; kept ${plan.master}, demoted ${steps.filter((s) => s.action === 'demote').map((s) => s.pod).join(', ')}` });
  }
  return { changed };
}

function candidateOf(pod: ObservedPod, states: Map<string, EngineState>): PodCandidate {
  return { pod: pod.name, ordinal: pod.ordinal, host: pod.ip ?? '', port: 6379, terminating: pod.terminating, state: states.get(pod.name) };
}

/** What a switchover is for: which pods may take the master, why (logged and in the Event), and the Event's reason. */
export interface SwitchRequest {
  accept: (pod: ObservedPod) => boolean;
  why: string;
  /** The Normal Event's reason once the master moved (default MasterElected). */
  eventReason?: Extract<EventReason, 'MasterElected' | 'Switchover'>;
}

export type SwitchOutcome = { moved: true; to: string; durationMs: number } | { moved: false; reason: string };

/**
 * Coordinated switchover of the master to an in-sync replica accepted by `request.accept` (scale-down: a pod that
 * stays; rollout: a pod on the new revision; a user's request: the pod named). `moved` is false, with the reason,
 * when no replica qualifies yet.
 */
export async function switchMaster(
  context: EngineActionContext, store: KVStore, spec: KVStoreSpec, pods: ObservedPod[], states: Map<string, EngineState>,
  master: string, request: SwitchRequest, auth: EngineAuth,
): Promise<SwitchOutcome> {
  const { why } = request;
  const masterPod = pods.find((pod) => pod.name === master);
  const masterState = states.get(master);
  if (!masterPod || !masterState) return { moved: false, reason: `the master ${master} did not answer the probe` };
  const candidates = pods.filter((pod) => pod.name !== master && request.accept(pod)).map((pod) => candidateOf(pod, states));
  const choice = pickSwitchoverTarget(masterState, candidates, { maxLagBytes: 1024 * 1024 });
  const log = context.logger.child({ store: `${store.metadata?.namespace}/${store.metadata?.name}` });
  if (!choice.target) {
    log.info({ reason: choice.reason, why }, 'switchover waits: no replica to hand the master to');
    return { moved: false, reason: choice.reason };
  }
  const targetPod = pods.find((pod) => pod.name === choice.target!.pod)!;
  const others = pods.filter((pod) => pod.name !== master && pod.name !== targetPod.name && states.has(pod.name)).map((pod) => endpointOf(store, pod, auth));
  // The switchover's commands run as one unit once started (a half-done handover is worse than a finished one).
  context.signal?.throwIfAborted();
  const result = await switchover(endpointOf(store, masterPod, auth), endpointOf(store, targetPod, auth), {
    engine: spec.engine ?? 'redis', masterauth: auth.password, timeoutMs: 5000, otherReplicas: others,
  });
  log.info({ ok: result.ok, detail: result.detail, durationMs: result.durationMs, why }, 'switchover');
  if (!result.ok) throw new Error(`switchover to ${targetPod.name} (${why}) failed: ${result.detail}`);
  await context.events.record(store as KubeObject, {
    type: 'Normal', reason: request.eventReason ?? 'MasterElected', message: `switched the master over from ${master} to ${targetPod.name} (${why}, ${result.durationMs} ms)`,
  });
  return { moved: true, to: targetPod.name, durationMs: result.durationMs };
}

/** The settings a running engine can take with CONFIG SET. */
export function liveSettings(spec: KVStoreSpec): Record<string, string> {
  const engine = spec.engine ?? 'redis';
  const result: Record<string, string> = {};
  for (const setting of buildEngineSettings(engine, spec)) {
    if (!isLiveSettable(engine, setting.key)) continue;
    if (['replicaof', 'slaveof', 'requirepass', 'masterauth', 'include'].includes(setting.key.toLowerCase())) continue;
    result[setting.key] = setting.value;
  }
  return result;
}

/** Password rotation and live settings. True when an engine changed. */
export async function syncLiveSettings(
  context: EngineActionContext, store: KVStore, spec: KVStoreSpec, pods: ObservedPod[], probed: ProbedPods,
  memory: LiveSettingsMemory, configChanged: boolean, auth: EngineAuth,
): Promise<boolean> {
  const reachable = pods.filter((pod) => probed.states.has(pod.name));
  const log = context.logger.child({ store: `${store.metadata?.namespace}/${store.metadata?.name}` });
  let changed = false;

  const stale = reachable.filter((pod) => auth.password !== undefined && probed.passwordByPod.get(pod.name) !== auth.password);
  if (stale.length > 0 && auth.password !== undefined) {
    const oldPassword = probed.passwordByPod.get(stale[0]!.name);
    context.signal?.throwIfAborted();
    const result = await rotatePassword(reachable.map((pod) => endpointOf(store, pod, auth)), auth.password, oldPassword);
    if (!result.ok) throw new Error(`password rotation failed: ${result.steps.filter((s) => s.outcome === 'failed').map((s) => `${s.pod} ${s.phase}: ${s.detail}`).join('; ')}`);
    await context.events.record(store as KubeObject, { type: 'Normal', reason: 'PasswordRotated', message: `new password applied live on ${reachable.length} pods` });
    log.info({ pods: reachable.length }, 'password rotated');
    changed = true;
  }

  const settings = liveSettings(spec);
  const hash = createHash('sha256').update(canonicalJson(settings)).digest('hex');
  if (hash === memory.hash && !configChanged) return changed;
  const applied = new Set<string>();
  const restart = new Set<string>();
  let complete = reachable.length === pods.filter((pod) => !pod.terminating).length;
  for (const pod of reachable) {
    const endpoint = podEndpoint(store.metadata!.name!, store.metadata!.namespace!, pod, auth.password, auth.tls);
    context.signal?.throwIfAborted();
    try {
      const result = await applyConfigLive(endpoint, settings);
      result.applied.forEach((key) => applied.add(key));
      result.needsRestart.forEach((entry) => restart.add(entry.key));
      if (result.rejected.length > 0) log.warn({ pod: pod.name, rejected: result.rejected }, 'engine refused settings');
    } catch (error) {
      complete = false;
      log.warn({ pod: pod.name, err: error }, 'could not apply live settings');
    }
  }
  if (applied.size > 0) {
    changed = true;
    await context.events.record(store as KubeObject, { type: 'Normal', reason: 'ConfigApplied', message: `applied live: ${[...applied].sort().join(', ')}` });
  }
  if (restart.size > 0) log.info({ keys: [...restart] }, 'settings need a restart; the rolling update applies them');
  if (complete) memory.hash = hash;
  return changed;
}
