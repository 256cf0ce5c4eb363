/**
 * The engine's own checks of a KVPolicy (`PolicyPort.validatePolicy`): CEL expressions compile and can be bool,
 * label selectors are well formed (the CRD keeps them opaque), list entries are not empty. The rest of KVPolicy
 * validation (schema, `defaults`, contradicting bounds) is the webhook's `validateKVPolicy`
 * (webhook/validate-kvpolicy.ts), which calls this; the `--policy` file loader runs that same function.
 */
import type { FieldError } from '../shared/validators.js';
import { compileExpression } from './cel.js';
import { validateLabelSelector } from './match.js';

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function validateExpressions(rules: Json): FieldError[] {
  const expressions = rules.expressions;
  if (!Array.isArray(expressions)) return [];
  return expressions.flatMap((rule: unknown, index): FieldError[] => {
    const field = `spec.rules.expressions[${index}].expression`;
    const expression = asObject(rule)?.expression;
    if (typeof expression !== 'string') return [{ field, message: 'must be a string' }];
    const compiled = compileExpression(expression);
    return compiled.ok ? [] : [{ field, message: compiled.error }];
  });
}

function validateRuleValues(rules: Json): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of ['allowedImageRegistries', 'deniedConfigKeys'] as const) {
    const values = rules[key];
    if (Array.isArray(values)) {
      values.forEach((value, index) => {
        if (value === '') errors.push({ field: `spec.rules.${key}[${index}]`, message: 'must not be empty' });
      });
    }
  }
  return errors;
}

/** Field errors of a KVPolicy object beyond its schema (empty when it is fine). */
export function validatePolicyObject(policy: Record<string, unknown>): FieldError[] {
  const spec = asObject(policy.spec);
  if (!spec) return [];
  const errors: FieldError[] = [];
  const match = asObject(spec.match);
  const exclude = asObject(spec.exclude);
  errors.push(...validateLabelSelector(match?.namespaceSelector, 'spec.match.namespaceSelector'));
  errors.push(...validateLabelSelector(match?.storeSelector, 'spec.match.storeSelector'));
  errors.push(...validateLabelSelector(exclude?.storeSelector, 'spec.exclude.storeSelector'));
  const rules = asObject(spec.rules);
  if (rules) errors.push(...validateRuleValues(rules), ...validateExpressions(rules));
  return errors;
}
