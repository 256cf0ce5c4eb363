/**
 * The validating webhook's KVStore processor (pure): schema, then semantic rules, then (on UPDATE) transition
 * rules, plus warnings. Policy is not decided here (see policy-verdict.ts).
 */
import { applyKVStoreDefaults } from '../shared/defaulting.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import { validateKVStoreSpecSchema, type FieldError } from '../shared/validators.js';
import { isPlainObject, jsonEqual } from '../shared/json-value.js';
import { ANNOTATION_SWITCHOVER, switchoverRequestProblem } from '../shared/labels.js';
import { checkCrossFieldRules, checkFieldRules, checkStoreName, checkTransitionRules, collectWarnings } from './kvstore-rules.js';

export interface KVStoreValidationInput {
  operation: 'CREATE' | 'UPDATE';
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown> | null;
}

export interface KVStoreValidation {
  errors: FieldError[];
  warnings: string[];
  /** The spec after the built-in defaulting (when the schema check passed), for the policy engine to reuse. */
  effectiveSpec?: KVStoreSpec;
}

function metadataOf(object: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return object && isPlainObject(object.metadata) ? object.metadata : {};
}

function effectiveSpec(spec: unknown, name: string): KVStoreSpec {
  return applyKVStoreDefaults((spec ?? {}) as KVStoreSpec, name);
}

/**
 * The spec the single-field rules judge. On UPDATE, spec.config and spec.args that did not change are not judged
 * again (per-field ratcheting, as the API server does for CRD rules): a store admitted before a setting became
 * operator-owned must still take the mutating webhook's new defaults and its finalizer removal. Policy rules still
 * judge them (see policy/rules.ts).
 */
function fieldRuleInput(spec: unknown, oldSpec: unknown, operation: 'CREATE' | 'UPDATE'): KVStoreSpec {
  const typed = (spec ?? {}) as KVStoreSpec;
  if (operation !== 'UPDATE' || !isPlainObject(oldSpec)) return typed;
  const old = oldSpec as KVStoreSpec;
  if (!jsonEqual(old.config ?? {}, typed.config ?? {}) || !jsonEqual(old.args ?? [], typed.args ?? []) || old.engine !== typed.engine) return typed;
  const { config: _config, args: _args, ...rest } = typed;
  return rest;
}

/**
 * The switchover request annotation, when it is new or changed: 'any' or one of this store's pods. The reconciler
 * judges the rest (a Ready store, a ready replica in sync) when it carries the request out.
 */
function checkSwitchoverRequest(input: KVStoreValidationInput, name: string, replicas: number): FieldError[] {
  const annotations = metadataOf(input.object).annotations;
  const value = isPlainObject(annotations) ? annotations[ANNOTATION_SWITCHOVER] : undefined;
  if (value === undefined) return [];
  const oldAnnotations = metadataOf(input.oldObject).annotations;
  if (isPlainObject(oldAnnotations) && oldAnnotations[ANNOTATION_SWITCHOVER] === value) return [];
  const problem = typeof value === 'string' ? switchoverRequestProblem(value, name, replicas) : 'must be a string';
  return problem ? [{ field: `metadata.annotations[${ANNOTATION_SWITCHOVER}]`, message: `(the switchover request) ${problem}` }] : [];
}

export function validateKVStore(input: KVStoreValidationInput): KVStoreValidation {
  const metadata = metadataOf(input.object);
  const name = typeof metadata.name === 'string' ? metadata.name : undefined;
  const spec = input.object.spec;
  if (spec !== undefined && !isPlainObject(spec)) return { errors: [{ field: 'spec', message: 'must be an object' }], warnings: [] };
  const schemaErrors = validateKVStoreSpecSchema(spec);
  const nameErrors = checkStoreName(name);
  if (schemaErrors.length > 0 || nameErrors.length > 0) return { errors: [...nameErrors, ...schemaErrors], warnings: [] };

  const effective = effectiveSpec(spec, name!);
  const oldSpec = input.oldObject?.spec;
  // Ratcheting, like the API server's for CRD rules: an UPDATE that leaves the spec alone (finalizers, labels,
  // the reconciler's own writes) is not refused for rules added after the spec was admitted. The schema still applies.
  const specUnchanged = input.operation === 'UPDATE' && input.oldObject != null && jsonEqual(oldSpec ?? {}, spec ?? {});
  const errors = specUnchanged ? [] : [...checkFieldRules(fieldRuleInput(spec, oldSpec, input.operation), 'spec', effective.engine), ...checkCrossFieldRules(effective)];
  if (input.operation === 'UPDATE' && input.oldObject && !specUnchanged && validateKVStoreSpecSchema(oldSpec).length === 0) {
    errors.push(...checkTransitionRules(effectiveSpec(oldSpec, name!), effective));
  }
  errors.push(...checkSwitchoverRequest(input, name!, effective.replicas ?? 3));
  return { errors, warnings: errors.length > 0 ? [] : collectWarnings(effective), effectiveSpec: effective };
}
