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
  conditions?: Array<{ type: string; status: string }>;
  containerStatuses?: Array<{
    name: string;
    restartCount?: number;
    state?: { waiting?: { reason?: string } } & Record<string, unknown>;
    lastState?: { terminated?: { exitCode?: number; startedAt?: string; finishedAt?: string } };
  }>;
}

/**
 * A pod as the reconciler reads it: identity, labels, deletion, phase, IP, conditions, and each container's restart
 * count and state kind (running, waiting, terminated), which tell that an engine process died, plus why it waits and
 * how long its last run lasted, which tell a crash-looping engine from one in restart back-off after a kill.
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
      conditions: status.conditions?.map((condition) => ({ type: condition.type, status: condition.status })),
      containerStatuses: status.containerStatuses?.map((container) => ({
        name: container.name,
        restartCount: container.restartCount,
        state: Object.fromEntries(Object.keys(container.state ?? {}).map((kind) => [kind,
          kind === 'waiting' && container.state?.waiting?.reason ? { reason: container.state.waiting.reason } : {}])),
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

