// Pure parts of the StatefulSet controller: revision names, the pod and claims of an ordinal, status figures.
import type { V1PersistentVolumeClaim, V1Pod, V1PodTemplateSpec, V1StatefulSet, V1StatefulSetStatus } from '@kubernetes/client-node';
import { safeHash } from './revision-hash.js';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function revisionName(sts: V1StatefulSet, template: V1PodTemplateSpec | undefined = sts.spec?.template): string {
  return `${sts.metadata?.name}-${safeHash(template)}`;
}

export function ordinalOf(sts: V1StatefulSet, pod: V1Pod): number | undefined {
  const prefix = `${sts.metadata?.name}-`;
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

export function isRunningAndReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function claimName(claimTemplate: string, podName: string): string {
  return `${claimTemplate}-${podName}`;
}

export function buildClaims(sts: V1StatefulSet, podName: string): V1PersistentVolumeClaim[] {
  const whenDeleted = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain';
  return (sts.spec?.volumeClaimTemplates ?? []).map((template) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(template.metadata?.name ?? 'data', podName),
      namespace: sts.metadata?.namespace,
      labels: { ...template.metadata?.labels, ...sts.spec?.selector.matchLabels },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ...(whenDeleted === 'Delete' ? {
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata!.name!, uid: sts.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      } : {}),
    },
    spec: template.spec,
  }));
}

export function buildPod(sts: V1StatefulSet, ordinal: number, template: V1PodTemplateSpec, revision: string): V1Pod {
  const name = `${sts.metadata?.name}-${ordinal}`;
  const claimVolumes = (sts.spec?.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata?.name ?? 'data',
    persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? 'data', name) },
  }));
  const claimNames = new Set(claimVolumes.map((v) => v.name));
  const volumes = [...claimVolumes, ...(template.spec?.volumes ?? []).filter((v) => !claimNames.has(v.name))];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${sts.metadata?.name}-`,
      namespace: sts.metadata?.namespace,
      labels: { ...template.metadata?.labels, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision, [POD_NAME_LABEL]: name },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata!.name!, uid: sts.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      ...template.spec!,
      ...(volumes.length ? { volumes } : {}),
      hostname: name,
      ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}),
    },
  };
}

export function computeStatus(sts: V1StatefulSet, pods: V1Pod[], currentRevision: string, updateRevision: string): V1StatefulSetStatus {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = live.filter(isRunningAndReady).length;
  const updated = live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === updateRevision).length;
  const replicas = sts.spec?.replicas ?? 1;
  let current = live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === currentRevision).length;
  let currentRev = currentRevision;
  if (updated === replicas && live.length === replicas) {
    currentRev = updateRevision;
    current = updated;
  }
  return {
    observedGeneration: sts.metadata?.generation,
    replicas: live.length,
    readyReplicas: ready,
    availableReplicas: ready,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision: currentRev,
    updateRevision,
    collisionCount: sts.status?.collisionCount ?? 0,
  };
}
