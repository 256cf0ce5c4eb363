// What an API server hands back for an applied object: server-set metadata, defaulted fields, status.
import type { V1StatefulSet } from '@kubernetes/client-node';
import { toWireObject } from '../../../reconciler/apply/index.js';

export function storedStatefulSet(applied: V1StatefulSet, fieldsV1?: unknown): V1StatefulSet {
  const live = structuredClone(toWireObject(applied)) as V1StatefulSet;
  live.metadata = {
    ...live.metadata,
    uid: 'a6e1b9c4-0000-4000-8000-000000000001',
    resourceVersion: '1234',
    generation: 2,
    creationTimestamp: new Date('2026-01-01T00:00:00Z'),
    ...(fieldsV1 ? { managedFields: [{ manager: 'redwing', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1 }] } : {}),
  };
  const spec = live.spec!;
  spec.revisionHistoryLimit = 10;
  spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain' };
  const pod = spec.template.spec!;
  pod.restartPolicy = 'Always';
  pod.dnsPolicy = 'ClusterFirst';
  pod.schedulerName = 'default-scheduler';
  for (const container of pod.containers) {
    container.terminationMessagePath = '/dev/termination-log';
    container.terminationMessagePolicy = 'File';
  }
  for (const claim of spec.volumeClaimTemplates ?? []) {
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    claim.spec!.volumeMode = 'Filesystem';
    claim.status = { phase: 'Pending' };
  }
  live.status = { replicas: spec.replicas ?? 1, availableReplicas: 0 };
  return live;
}
