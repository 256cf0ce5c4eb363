/**
 * A StatefulSet's selector, serviceName, podManagementPolicy and volumeClaimTemplates cannot change after creation;
 * an apply that touches them is rejected as a whole. This plan keeps the live values of those fields in the object
 * to apply (so every other change still goes through) and says what happens to the rest:
 * - a larger persistence.size grows each PVC in place (`growPvcs`, see grow-persistent-volume-claims.ts);
 * - anything else (shrinking, another storageClassName, persistence switched on or off, a foreign selector) is
 *   `blocked` with a reason the controller puts in a condition and an Event, never a silent no-op.
 */
import type { V1PersistentVolumeClaim, V1StatefulSet, V1Volume } from '@kubernetes/client-node';
import { DATA_VOLUME_NAME } from '../../shared/names.js';
import { jsonEqual } from '../../shared/json-value.js';
import { compareQuantities } from '../../shared/quantity.js';
import { explainApplyNeed, FIELD_MANAGER } from './needs-apply.js';
import { toWireObject } from './wire-format.js';

export interface PersistentVolumeClaimGrowth {
  /** PVC name, `<template>-<statefulset>-<ordinal>`. */
  name: string;
  /** The new storage request. */
  size: string;
}

export interface StatefulSetChangePlan {
  /** Whether `statefulSet` must be applied (it differs from the live object). */
  apply: boolean;
  /** Why it must be applied (the first differing field), when `apply`. */
  applyReason?: string;
  /** The object to apply: the desired one with the immutable fields the live object has. */
  statefulSet: V1StatefulSet;
  /** PVCs to grow (idempotent: a PVC already at the size is left alone). */
  growPvcs: PersistentVolumeClaimGrowth[];
  /** Why part of the desired change cannot be made; undefined when nothing is blocked. */
  blocked?: string;
}

function same(a: unknown, b: unknown): boolean {
  return jsonEqual(toWireObject(a ?? null), toWireObject(b ?? null));
}

function storageOf(claim: V1PersistentVolumeClaim | undefined): string | undefined {
  const storage = claim?.spec?.resources?.requests?.storage;
  return storage === undefined ? undefined : String(storage);
}

/** A live claim template as it can be sent back: without the server's status and timestamps. */
function sanitizeClaimTemplate(claim: V1PersistentVolumeClaim): V1PersistentVolumeClaim {
  const copy = structuredClone(toWireObject(claim));
  delete copy.status;
  if (copy.metadata) delete copy.metadata.creationTimestamp;
  return copy;
}

function compareClaims(
  desired: V1PersistentVolumeClaim, live: V1PersistentVolumeClaim, reasons: string[],
): string | undefined {
  const name = desired.metadata?.name ?? DATA_VOLUME_NAME;
  const desiredClass = desired.spec?.storageClassName;
  const liveClass = live.spec?.storageClassName;
  // An unset class means "the cluster default": only an explicit, different class is a change.
  if (desiredClass !== undefined && desiredClass !== liveClass) {
    reasons.push(`volume claim template "${name}": storageClassName cannot change from ${liveClass ?? '(cluster default)'} to ${desiredClass}`);
  }
  if (desired.spec?.accessModes && !same(desired.spec.accessModes, live.spec?.accessModes)) {
    reasons.push(`volume claim template "${name}": accessModes cannot change`);
  }
  const wanted = storageOf(desired);
  const current = storageOf(live);
  if (wanted === undefined || current === undefined) return undefined;
  let order: number;
  try {
    order = compareQuantities(wanted, current);
  } catch {
    reasons.push(`volume claim template "${name}": size ${wanted} is not a quantity`);
    return undefined;
  }
  if (order < 0) {
    reasons.push(`persistence.size cannot shrink from ${current} to ${wanted}`);
    return undefined;
  }
  return order > 0 ? wanted : undefined;
}

/** Makes the pod template's data volume agree with the claim templates that will really be there. */
function alignDataVolume(statefulSet: V1StatefulSet, claimNames: Set<string>): void {
  const podSpec = statefulSet.spec?.template?.spec;
  if (!podSpec) return;
  const volumes: V1Volume[] = (podSpec.volumes ?? []).filter((volume) => !(claimNames.has(volume.name) && volume.emptyDir));
  const mounted = new Set((podSpec.containers ?? []).flatMap((container) => (container.volumeMounts ?? []).map((m) => m.name)));
  if (mounted.has(DATA_VOLUME_NAME) && !claimNames.has(DATA_VOLUME_NAME) && !volumes.some((v) => v.name === DATA_VOLUME_NAME)) {
    volumes.unshift({ name: DATA_VOLUME_NAME, emptyDir: {} });
  }
  podSpec.volumes = volumes;
}

/** Pure: what to do to move the live StatefulSet (undefined when absent) towards the desired one. */
export function planStatefulSetChange(
  desired: V1StatefulSet, live: V1StatefulSet | undefined, fieldManager = FIELD_MANAGER,
): StatefulSetChangePlan {
  if (!live) return { apply: true, applyReason: 'the object does not exist', statefulSet: desired, growPvcs: [] };
  const statefulSet = structuredClone(toWireObject(desired));
  const spec = statefulSet.spec!;
  const liveSpec = live.spec ?? ({} as NonNullable<V1StatefulSet['spec']>);
  const reasons: string[] = [];

  if (!same(spec.selector, liveSpec.selector)) {
    reasons.push(`spec.selector cannot change (live ${JSON.stringify(liveSpec.selector?.matchLabels ?? {})})`);
    spec.selector = structuredClone(toWireObject(liveSpec.selector));
  }
  if (spec.serviceName !== liveSpec.serviceName) {
    reasons.push(`spec.serviceName cannot change from ${liveSpec.serviceName ?? '(none)'} to ${spec.serviceName}`);
    spec.serviceName = liveSpec.serviceName!;
  }
  const livePolicy = liveSpec.podManagementPolicy ?? 'OrderedReady';
  if ((spec.podManagementPolicy ?? 'OrderedReady') !== livePolicy) {
    reasons.push(`spec.podManagementPolicy cannot change from ${livePolicy} to ${spec.podManagementPolicy}`);
    spec.podManagementPolicy = livePolicy;
  }

  const desiredClaims = spec.volumeClaimTemplates ?? [];
  const liveClaims = liveSpec.volumeClaimTemplates ?? [];
  const growth: Array<{ template: string; size: string }> = [];
  for (const claim of desiredClaims) {
    const name = claim.metadata?.name ?? '';
    const liveClaim = liveClaims.find((c) => c.metadata?.name === name);
    if (!liveClaim) {
      reasons.push(name === DATA_VOLUME_NAME
        ? 'persistence cannot be turned on for an existing StatefulSet (its pods keep emptyDir data)'
        : `volume claim template "${name}" cannot be added`);
      continue;
    }
    const size = compareClaims(claim, liveClaim, reasons);
    if (size !== undefined) growth.push({ template: name, size });
  }
  for (const claim of liveClaims) {
    const name = claim.metadata?.name ?? '';
    if (!desiredClaims.some((c) => c.metadata?.name === name)) {
      reasons.push(name === DATA_VOLUME_NAME
        ? 'persistence cannot be turned off for an existing StatefulSet (its pods keep their PVCs)'
        : `volume claim template "${name}" cannot be removed`);
    }
  }
  if (liveClaims.length > 0) spec.volumeClaimTemplates = liveClaims.map(sanitizeClaimTemplate);
  else delete spec.volumeClaimTemplates;
  alignDataVolume(statefulSet, new Set(liveClaims.map((c) => c.metadata?.name ?? '')));

  // PVCs exist for every ordinal that ever ran; grow those of the larger of the desired and live sizes.
  const stsName = live.metadata?.name ?? desired.metadata?.name ?? '';
  const ordinals = Math.max(spec.replicas ?? 1, liveSpec.replicas ?? 1, live.status?.replicas ?? 0);
  const growPvcs = growth.flatMap(({ template, size }) =>
    Array.from({ length: ordinals }, (_, ordinal) => ({ name: `${template}-${stsName}-${ordinal}`, size })));

  const applyReason = explainApplyNeed(statefulSet, live, fieldManager);
  const plan: StatefulSetChangePlan = { apply: applyReason !== undefined, statefulSet, growPvcs };
  if (applyReason !== undefined) plan.applyReason = applyReason;
  if (reasons.length > 0) plan.blocked = reasons.join('; ');
  return plan;
}
