/**
 * The mutating webhook's processor (pure): policy defaults first, then the built-in defaults, then a JSON Patch
 * against the raw object. User values always win over policy defaults, and earlier policies win over later ones.
 */
import { applyKVStoreDefaults, defaultMaxmemoryBytes, isMaterialisedAntiAffinity } from '../shared/defaulting.js';
import { isQuantity } from '../shared/quantity.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import { validateKVStoreSpecSchema } from '../shared/validators.js';
import { isPlainObject } from '../shared/json-value.js';
import { createJsonPatch, type JsonPatchOperation } from './json-patch.js';
import type { PolicyDefaults } from '../policy/policy-port.js';

export const MATERIALISED_ANTI_AFFINITY_PATH = '/spec/affinity/podAntiAffinity';

export interface MutationResult {
  /** Empty when nothing changes. */
  patch: JsonPatchOperation[];
  /** The object after mutation (the raw object itself when nothing was done). */
  object: Record<string, unknown>;
  /** Why defaulting was skipped, when it was; shown to the user as a warning. */
  skipped?: string;
  /** Policies whose defaults filled at least one field. */
  appliedPolicies: string[];
}

/**
 * A deep copy of JSON data. structuredClone handles far more (cycles, Maps, Dates) and costs several times as much
 * on a KVStore spec, which is plain JSON by construction (it comes from JSON.parse or from a cached policy).
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = cloneJson((value as Record<string, unknown>)[key]);
  return copy as T;
}

/** Fills, recursively, every key of `defaults` that `target` lacks. Arrays and scalars are taken whole. */
export function fillMissing(target: Record<string, unknown>, defaults: Record<string, unknown>): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(defaults)) {
    if (value === undefined || value === null) continue;
    const current = target[key];
    if (current === undefined) {
      target[key] = cloneJson(value);
      changed = true;
    } else if (isPlainObject(current) && isPlainObject(value)) {
      changed = fillMissing(current, value) || changed;
    }
  }
  return changed;
}

/** `spec` with the policies' default specs merged in, in order; returns the names of the policies that filled something. */
export function mergePolicyDefaults(spec: Record<string, unknown>, defaults: PolicyDefaults): { spec: Record<string, unknown>; applied: string[] } {
  if (defaults.specs.length === 0) return { spec, applied: [] };
  const merged = cloneJson(spec);
  const applied: string[] = [];
  for (const entry of defaults.specs) {
    if (isPlainObject(entry.spec) && fillMissing(merged, entry.spec)) applied.push(entry.policy);
  }
  return { spec: merged, applied };
}

function memoryLimitOf(spec: Record<string, unknown>): unknown {
  const resources = spec.resources;
  const limits = isPlainObject(resources) ? resources.limits : undefined;
  return isPlainObject(limits) ? limits.memory : undefined;
}

/**
 * A maxmemory this webhook computed from the old memory limit follows the limit when an UPDATE changes it (so
 * raising the limit raises maxmemory, and lowering it does not leave maxmemory above the limit). A maxmemory the
 * user chose, or changed in this request, stays.
 */
export function releaseComputedMaxmemory(spec: Record<string, unknown>, oldSpec: unknown): Record<string, unknown> {
  if (!isPlainObject(oldSpec) || !isPlainObject(spec.config) || !isPlainObject(oldSpec.config)) return spec;
  const oldLimit = memoryLimitOf(oldSpec);
  const limit = memoryLimitOf(spec);
  const maxmemory = spec.config.maxmemory;
  if (oldLimit === limit || !isQuantity(oldLimit)) return spec;
  if (maxmemory !== oldSpec.config.maxmemory || maxmemory !== String(defaultMaxmemoryBytes(oldLimit))) return spec;
  const config = { ...spec.config };
  delete config.maxmemory;
  return { ...spec, config };
}

function storeName(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  if (!isPlainObject(metadata)) return undefined;
  return typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
}

/**
 * Defaults a KVStore. Nothing is changed when the spec is malformed (the validating webhook refuses it with field
 * messages, which is clearer than defaulting around it) or when the store has no name yet (derived names need it).
 */
export function mutateKVStore(object: Record<string, unknown>, policyDefaults: PolicyDefaults, oldObject?: Record<string, unknown> | null): MutationResult {
  const name = storeName(object);
  if (name === undefined) return { patch: [], object, skipped: 'metadata.name is not set, so no defaults were applied', appliedPolicies: [] };
  const submittedSpec = object.spec ?? {};
  if (!isPlainObject(submittedSpec)) return { patch: [], object, skipped: 'spec is not an object, so no defaults were applied', appliedPolicies: [] };
  const rawSpec = releaseComputedMaxmemory(submittedSpec, oldObject?.spec);
  const { spec: withPolicy, applied } = mergePolicyDefaults(rawSpec, policyDefaults);
  if (validateKVStoreSpecSchema(withPolicy).length > 0) {
    if (withPolicy === rawSpec) return { patch: [], object, skipped: 'the spec is invalid, so no defaults were applied', appliedPolicies: [] };
    // A malformed spec is left for the validating webhook to refuse with field messages; policy defaults that
    // made it malformed are dropped for the same reason.
    if (validateKVStoreSpecSchema(rawSpec).length > 0) {
      return { patch: [], object, skipped: 'the spec is invalid, so no defaults were applied', appliedPolicies: [] };
    }
    return mutateWithSpec(object, rawSpec, name, []);
  }
  return mutateWithSpec(object, withPolicy, name, applied);
}

function mutateWithSpec(object: Record<string, unknown>, spec: Record<string, unknown>, name: string, applied: string[]): MutationResult {
  const defaulted = applyKVStoreDefaults(spec as KVStoreSpec, name);
  const mutated = { ...object, spec: defaulted as Record<string, unknown> };
  const originalSpec = isPlainObject(object.spec) ? object.spec : {};
  const originalAffinity = isPlainObject(originalSpec.affinity) ? originalSpec.affinity : {};
  // A term we generated ourselves is ours to replace whole or remove when antiAffinity changes; a user's is not.
  const ownedPaths = isMaterialisedAntiAffinity(originalAffinity.podAntiAffinity, name) ? [MATERIALISED_ANTI_AFFINITY_PATH] : [];
  const patch = createJsonPatch(object, mutated, { ownedPaths });
  return { patch, object: patch.length > 0 ? mutated : object, appliedPolicies: applied };
}
