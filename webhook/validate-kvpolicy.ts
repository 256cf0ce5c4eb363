/**
 * The validating webhook's KVPolicy processor (pure apart from the policy port's own checks): schema, the partial
 * KVStore spec in `spec.defaults` (schema and single-field rules, so a policy cannot default what a user could not
 * set), bounds that contradict each other, and the engine's checks (CEL expressions compile and are boolean).
 */
import { ENGINES, type KVStoreSpec } from '../shared/schema/kvstore.js';
import type { KVPolicySpec } from '../shared/schema/kvpolicy.js';
import { validateKVPolicySpecSchema, validatePartialKVStoreSpec, type FieldError } from '../shared/validators.js';
import { isPlainObject } from '../shared/json-value.js';
import { checkFieldRules } from './kvstore-rules.js';
import type { PolicyPort } from '../policy/policy-port.js';

function checkRuleBounds(spec: KVPolicySpec): FieldError[] {
  const errors: FieldError[] = [];
  const rules = spec.rules ?? {};
  if (rules.minReplicas !== undefined && rules.maxReplicas !== undefined && rules.minReplicas > rules.maxReplicas) {
    errors.push({ field: 'spec.rules.minReplicas', message: `must not exceed spec.rules.maxReplicas (${rules.maxReplicas})` });
  }
  (rules.allowedEngines ?? []).forEach((engine, index) => {
    if (!(ENGINES as readonly string[]).includes(engine)) {
      errors.push({ field: `spec.rules.allowedEngines[${index}]`, message: `must be one of ${ENGINES.join(', ')}` });
    }
  });
  return errors;
}

export function validateKVPolicy(object: Record<string, unknown>, policy: PolicyPort): FieldError[] {
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  const errors: FieldError[] = [];
  if (typeof metadata.name !== 'string' || metadata.name === '') errors.push({ field: 'metadata.name', message: 'is required' });
  const spec = object.spec ?? {};
  errors.push(...validateKVPolicySpecSchema(spec));
  if (errors.length > 0 || !isPlainObject(spec)) return errors;
  const typed = spec as KVPolicySpec;
  if (typed.defaults !== undefined) {
    const defaultsErrors = validatePartialKVStoreSpec(typed.defaults, 'spec.defaults');
    errors.push(...defaultsErrors);
    if (defaultsErrors.length === 0) {
      const defaults = typed.defaults as KVStoreSpec;
      errors.push(...checkFieldRules(defaults, 'spec.defaults', defaults.engine));
    }
  }
  errors.push(...checkRuleBounds(typed));
  errors.push(...policy.validatePolicy(object));
  return errors;
}
