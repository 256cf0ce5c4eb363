/** The apply layer: server-side apply when something differs, StatefulSet immutable-field planning, PVC growth. */
export { FIELD_MANAGER, needsApply, explainApplyNeed, findDifference, findDroppedField } from './needs-apply.js';
export { planStatefulSetChange, type StatefulSetChangePlan, type PersistentVolumeClaimGrowth } from './plan-statefulset-change.js';
export {
  applyObject, applyIfChanged, readObject, deleteObjectIfExists, kubeClientOf, ApplyError,
  type ApplyClient, type ApplyOptions, type ApplyResult,
} from './apply-object.js';
export { growPersistentVolumeClaims, type PvcGrowthResult } from './grow-persistent-volume-claims.js';
export { toWireObject, toTypedObject } from './wire-format.js';
export { objectPath, type ObjectHeader } from './resource-paths.js';
