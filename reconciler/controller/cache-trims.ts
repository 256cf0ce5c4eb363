/**
 * What the informer caches keep of each kind: only what the reconciler reads (memory: 500 stores cache several
 * thousand objects). Each function returns a trimmed copy; the raw object is dropped.
 */
import { MANAGED_BY_VALUE } from '../../shared/labels.js';
import type { KubeObject } from '../../kube/client.js';

/** Keeps only redwing's own managedFields entry: the apply layer needs it, the others are dead weight. */
export function keepOwnManagedFields(object: KubeObject): KubeObject {
  const managed = object.metadata?.managedFields;
  if (!Array.isArray(managed)) return object;
  const own = (managed as Array<{ manager?: string }>).filter((entry) => entry.manager === MANAGED_BY_VALUE);
  return { ...object, metadata: { ...object.metadata, managedFields: own } };
}

interface PodStatusRead {
  phase?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
  containerStatuses?: Array<{
    name: string;
    restartCount?: number;
    state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string } } & Record<string, unknown>;
    lastState?: { terminated?: { exitCode?: number; startedAt?: string; finishedAt?: string } };
  }>;
}

/** A container state kept with what status reads: why it waits (and the kubelet's words), since when it runs. */
function trimState(kind: string, state: NonNullable<PodStatusRead['containerStatuses']>[number]['state']): Record<string, string> {
  if (kind === 'waiting' && state?.waiting?.reason) return { reason: state.waiting.reason, ...(state.waiting.message ? { message: state.waiting.message } : {}) };
  if (kind === 'running' && state?.running?.startedAt) return { startedAt: state.running.startedAt };
  return {};
}

/**
 * A pod as the reconciler reads it: identity, labels, deletion, phase, IP, conditions, and each container's restart
 * count and state kind (running, waiting, terminated), which tell that an engine process died, plus why it waits and
 * how long its last run lasted, which tell a crash-looping engine from one in restart back-off after a kill, and
 * since when it runs and why a pod is not scheduled, which tell a starting pod from a stuck one.
 */
export function trimPod(object: KubeObject): KubeObject {
  const metadata = object.metadata ?? {};
  const status = (object as { status?: PodStatusRead }).status;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion,
      labels: metadata.labels, deletionTimestamp: metadata.deletionTimestamp, ownerReferences: metadata.ownerReferences,
    },
    status: status ? {
      phase: status.phase,
      podIP: status.podIP,
      // Why the scheduler cannot place a pod: status names it (pod-problems.ts).
      conditions: status.conditions?.map((condition) => ({
        type: condition.type, status: condition.status,
        ...(condition.type === 'PodScheduled' && condition.status === 'False' ? { reason: condition.reason, message: condition.message } : {}),
        // Since when a pod is not ready: a replica resyncing for seconds is no problem, one stuck for minutes is.
        ...(condition.type === 'Ready' && condition.status === 'False' && condition.lastTransitionTime ? { lastTransitionTime: condition.lastTransitionTime } : {}),
      })),
      containerStatuses: status.containerStatuses?.map((container) => ({
        name: container.name,
        restartCount: container.restartCount,
        state: Object.fromEntries(Object.keys(container.state ?? {}).map((kind) => [kind, trimState(kind, container.state)])),
        ...(container.lastState?.terminated ? {
          lastState: { terminated: {
            exitCode: container.lastState.terminated.exitCode,
            startedAt: container.lastState.terminated.startedAt,
            finishedAt: container.lastState.terminated.finishedAt,
          } },
        } : {}),
      })),
    } : undefined,
  };
}

/** A KVStore without managedFields: the reconciler never applies KVStores, it patches them. */
export function trimStore(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, managedFields: undefined } };
}

/** A Secret without managedFields (its data is needed: the password). */
export function trimSecret(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, managedFields: undefined } };
}

