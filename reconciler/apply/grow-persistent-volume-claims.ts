/**
 * Grows PVCs in place (the StatefulSet's claim template is immutable, the PVCs are not). A PVC that does not exist
 * yet is skipped (its pod has not run), one already at least that large is left alone, and a refusal (a StorageClass
 * without allowVolumeExpansion, a quota) is reported per PVC so the controller can raise a condition and an Event.
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { compareQuantities } from '../../shared/quantity.js';
import { apiErrorMessage } from '../../kube/errors.js';
import { kubeClientOf, readObject, type ApplyClient } from './apply-object.js';
import { objectPath } from './resource-paths.js';
import type { PersistentVolumeClaimGrowth } from './plan-statefulset-change.js';

export interface PvcGrowthResult {
  grown: string[];
  /** Already at least the size. */
  unchanged: string[];
  /** Not created yet. */
  missing: string[];
  failed: Array<{ name: string; message: string }>;
}

export async function growPersistentVolumeClaims(
  client: ApplyClient, namespace: string, growPvcs: PersistentVolumeClaimGrowth[],
): Promise<PvcGrowthResult> {
  const result: PvcGrowthResult = { grown: [], unchanged: [], missing: [], failed: [] };
  for (const { name, size } of growPvcs) {
    const header = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace } };
    try {
      const live = await readObject<V1PersistentVolumeClaim>(client, header);
      if (!live) {
        result.missing.push(name);
        continue;
      }
      const current = live.spec?.resources?.requests?.storage;
      if (current !== undefined && compareQuantities(String(current), size) >= 0) {
        result.unchanged.push(name);
        continue;
      }
      const patch = { ...header, spec: { resources: { requests: { storage: size } } } };
      const kube = kubeClientOf(client);
      await kube.patch(await objectPath(kube, header), patch, 'merge', '?fieldManager=redwing');
      result.grown.push(name);
    } catch (error) {
      result.failed.push({ name, message: apiErrorMessage(error) });
    }
  }
  return result;
}
