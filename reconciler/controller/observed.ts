/**
 * The reconciler's view of one store's pods: what Kubernetes says about each pod plus what its engine answered.
 * Plain data, so planning and status computation are pure functions over it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { LABEL_ROLE } from '../../shared/labels.js';
import { podOrdinal } from '../../shared/names.js';
import type { EngineState } from '../replication/index.js';
import { ENGINE_CONTAINER_NAME } from '../desired/constants.js';

export interface EngineObservation {
  role: 'master' | 'replica';
  /** A replica's configured master (host and port), as INFO replication reports it. */
  masterHost?: string;
  masterPort?: number;
  masterLinkUp?: boolean;
  /** A full sync (RDB transfer) is in progress on this replica. */
  syncInProgress?: boolean;
  /** master_repl_offset (a replica's processed offset). */
  replicationOffset: number;
  /** Keys in all databases; breaks ties between pods with the same offset. */
  keys?: number;
  /** The engine is still loading its dataset from disk. */
  loading?: boolean;
  /** Everything the probe read (replication IDs included), when probed for real. */
  state?: EngineState;
}

export interface ObservedPod {
  name: string;
  ordinal: number;
  ip?: string;
  phase: string;
  /** The kubelet's Ready condition. */
  ready: boolean;
  /** Deleted, evicted, or on a lost node: never a candidate for anything. */
  terminating: boolean;
  roleLabel?: string;
  /** The StatefulSet revision the pod was created from (label controller-revision-hash). */
  revision?: string;
  /** Undefined when the engine did not answer (or was not probed). */
  engine?: EngineObservation;
  probeError?: string;
  /** The engine container waits in the kubelet's restart back-off (CrashLoopBackOff). */
  backOff?: RestartBackOff;
  /** What the kubelet says of the engine container: status tells a pod that starts from one that cannot. */
  container?: ContainerReport;
  /** Why the scheduler cannot place the pod (its PodScheduled condition is False). */
  unschedulable?: string;
  /** When its Ready condition last turned False (RFC 3339), while it is not ready. */
  notReadySince?: string;
}

export interface ContainerReport {
  restarts: number;
  /** When the running container started (RFC 3339). */
  runningSince?: string;
  waiting?: { reason: string; message?: string };
}

/** The engine container's report; undefined before the kubelet wrote any. */
export function containerReport(pod: V1Pod): ContainerReport | undefined {
  const engine = pod.status?.containerStatuses?.find((container) => container.name === ENGINE_CONTAINER_NAME);
  if (!engine) return undefined;
  const report: ContainerReport = { restarts: engine.restartCount ?? 0 };
  // Timestamps arrive as RFC 3339 strings on the wire, whatever client-node's types say.
  if (engine.state?.running?.startedAt) report.runningSince = String(engine.state.running.startedAt);
  const waiting = engine.state?.waiting;
  if (waiting?.reason) report.waiting = { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
  return report;
}

function unschedulableReason(pod: V1Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  return scheduled?.status === 'False' ? scheduled.message ?? scheduled.reason ?? 'unschedulable' : undefined;
}

export interface RestartBackOff {
  /** How long the engine ran before it last stopped; undefined when the kubelet did not say. */
  lastRunMs?: number;
  /** Its last exit code: 128 + n when a signal ended it (137: SIGKILL, the OOM killer included). */
  lastExitCode?: number;
}

/** True when Kubernetes is taking the pod away: deletion, a DisruptionTarget condition, or an Unknown phase (node lost). */
export function isPodTerminating(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return true;
  if (pod.status?.phase === 'Unknown' || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return true;
  return (pod.status?.conditions ?? []).some((condition) => condition.type === 'DisruptionTarget' && condition.status === 'True');
}

/**
 * The engine process died between two observations of its pod: its container stopped running, or its restart
 * count rose (the kubelet may report both at once, or only the restart when the death was short).
 */
export function engineDied(previous: V1Pod, next: V1Pod): boolean {
  const before = previous.status?.containerStatuses?.find((container) => container.name === ENGINE_CONTAINER_NAME);
  const after = next.status?.containerStatuses?.find((container) => container.name === ENGINE_CONTAINER_NAME);
  if (!before || !after) return false;
  return (after.restartCount ?? 0) > (before.restartCount ?? 0) || (before.state?.running !== undefined && after.state?.running === undefined);
}

export function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** The engine container's restart back-off, if it is in one. */
export function restartBackOff(pod: V1Pod): RestartBackOff | undefined {
  const engine = pod.status?.containerStatuses?.find((container) => container.name === ENGINE_CONTAINER_NAME);
  if (engine?.state?.waiting?.reason !== 'CrashLoopBackOff') return undefined;
  const last = engine.lastState?.terminated;
  // Timestamps arrive as RFC 3339 strings on the wire, whatever client-node's types say.
  const startedMs = last?.startedAt ? Date.parse(String(last.startedAt)) : NaN;
  const finishedMs = last?.finishedAt ? Date.parse(String(last.finishedAt)) : NaN;
  return {
    ...(Number.isFinite(finishedMs - startedMs) ? { lastRunMs: finishedMs - startedMs } : {}),
    ...(typeof last?.exitCode === 'number' ? { lastExitCode: last.exitCode } : {}),
  };
}

/** The store's StatefulSet pods, sorted by ordinal, without engine data yet. Foreign pods are skipped. */
export function observePods(storeName: string, pods: V1Pod[]): ObservedPod[] {
  const observed: ObservedPod[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const ordinal = podOrdinal(storeName, name);
    if (ordinal === undefined) continue;
    const backOff = restartBackOff(pod);
    const container = containerReport(pod);
    const unschedulable = unschedulableReason(pod);
    const notReady = pod.status?.conditions?.find((condition) => condition.type === 'Ready' && condition.status === 'False');
    observed.push({
      name,
      ordinal,
      ip: pod.status?.podIP || undefined,
      phase: pod.status?.phase ?? 'Pending',
      ready: isPodReady(pod),
      terminating: isPodTerminating(pod),
      roleLabel: pod.metadata?.labels?.[LABEL_ROLE],
      revision: pod.metadata?.labels?.['controller-revision-hash'],
      ...(backOff ? { backOff } : {}),
      ...(container ? { container } : {}),
      ...(unschedulable ? { unschedulable } : {}),
      // Timestamps arrive as RFC 3339 strings on the wire, whatever client-node's types say.
      ...(notReady?.lastTransitionTime ? { notReadySince: String(notReady.lastTransitionTime) } : {}),
    });
  }
  return observed.sort((a, b) => a.ordinal - b.ordinal);
}

/** A pod whose engine can be talked to: running, addressed, not on its way out. */
export function isProbeable(pod: ObservedPod): boolean {
  return pod.phase === 'Running' && pod.ip !== undefined && !pod.terminating;
}
