// Pod phase and conditions from the containers' states, computed the way the kubelet's status manager does.
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { rfc3339 } from '../../shared/rfc3339.js';

/** Conditions the kubelet owns; anything else on the pod (DisruptionTarget, readiness gates) is kept as it is. */
export const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']);

export interface PodRuntimeView {
  podIP: string;
  hostIP: string;
  startTime: string;
  volumesReady: boolean;
  initialized: boolean;
  initFailed: boolean;
  initContainerStatuses: V1ContainerStatus[];
  containerStatuses: V1ContainerStatus[];
  restartPolicy: string;
}

function phaseOf(view: PodRuntimeView): string {
  if (view.initFailed) return 'Failed';
  if (!view.initialized) return 'Pending';
  const statuses = view.containerStatuses;
  const running = statuses.filter((s) => s.state?.running).length;
  const terminated = statuses.filter((s) => s.state?.terminated);
  const waiting = statuses.filter((s) => s.state?.waiting);
  if (running > 0) return 'Running';
  if (terminated.length === statuses.length && statuses.length > 0) {
    if (view.restartPolicy === 'Always') return 'Running';
    return terminated.every((s) => s.state!.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  // Waiting containers that already ran once (CrashLoopBackOff) keep the pod Running.
  if (waiting.some((s) => (s.restartCount ?? 0) > 0 || s.lastState?.terminated)) return 'Running';
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string | undefined, previous: V1PodCondition[] | undefined, message?: string): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const old = previous?.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : rfc3339();
  const result: V1PodCondition = { type, status, lastProbeTime: null as unknown as undefined, lastTransitionTime } as V1PodCondition;
  if (!ok && reason) {
    result.reason = reason;
    if (message) result.message = message;
  }
  return result;
}

/** The full status the kubelet writes through pods/status. */
export function buildPodStatus(pod: V1Pod, view: PodRuntimeView): V1PodStatus {
  const previous = pod.status?.conditions;
  const notReady = view.containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const unreadyMessage = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const containersReady = view.initialized && notReady.length === 0 && view.containerStatuses.length > 0;
  const phase = phaseOf(view);
  const conditions: V1PodCondition[] = [
    condition('PodReadyToStartContainers', view.volumesReady, undefined, previous),
    condition('Initialized', view.initialized, 'ContainersNotInitialized', previous,
      view.initialized ? undefined : `containers with incomplete status: [${view.initContainerStatuses.filter((s) => !s.state?.terminated || s.state.terminated.exitCode !== 0).map((s) => s.name).join(' ')}]`),
    condition('Ready', containersReady && phase === 'Running', view.initialized ? 'ContainersNotReady' : 'ContainersNotInitialized', previous, unreadyMessage),
    condition('ContainersReady', containersReady, view.initialized ? 'ContainersNotReady' : 'ContainersNotInitialized', previous, unreadyMessage),
    condition('PodScheduled', true, undefined, previous),
  ];
  for (const other of previous ?? []) {
    if (!KUBELET_CONDITIONS.has(other.type)) conditions.push(other);
  }
  const status: V1PodStatus = {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    podIP: view.podIP,
    podIPs: [{ ip: view.podIP }],
    startTime: view.startTime as unknown as Date,
    containerStatuses: view.containerStatuses,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
  if (view.initContainerStatuses.length) status.initContainerStatuses = view.initContainerStatuses;
  return status;
}
