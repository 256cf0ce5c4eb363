/**
 * One KVPolicy ready to evaluate: its CEL expressions compiled once, when the policy enters the cache. Evaluation
 * of one policy against one store is a pure function shared by admission (engine.ts) and the background audit
 * (reconciler/audit/).
 */
import type { Enforcement, KVPolicy, KVPolicySpec } from '../../shared/schema/kvpolicy.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import type { PolicyViolation } from '../policy-port.js';
import { compileExpression, DEFAULT_CEL_LIMITS, type CelLimits, type CompileResult, type PreparedBindings } from './cel.js';
import { policyMatches, type Labels } from './match.js';
import { checkBuiltInRules, type RuleViolation } from './rules.js';

export const DEFAULT_ENFORCEMENT: Enforcement = 'Enforce';

export interface CompiledPolicy {
  readonly name: string;
  readonly enforcement: Enforcement;
  readonly spec: KVPolicySpec;
  readonly expressions: ReadonlyArray<{ index: number; expression: string; message?: string; compiled: CompileResult }>;
  /** The resource as cached (for listing). */
  readonly source: KVPolicy;
}

export function compilePolicy(policy: KVPolicy): CompiledPolicy {
  const spec = policy.spec ?? {};
  const name = policy.metadata?.name ?? '';
  return {
    name,
    enforcement: spec.enforcement ?? DEFAULT_ENFORCEMENT,
    spec,
    expressions: (spec.rules?.expressions ?? []).map((rule, index) => ({
      index, expression: rule.expression, message: rule.message, compiled: compileExpression(rule.expression ?? ''),
    })),
    source: policy,
  };
}

/** What the evaluation of one store needs; built by the engine (admission) or the audit. */
export interface StoreUnderEvaluation {
  namespace: string;
  name: string;
  labels: Labels | undefined;
  /** The labels before an UPDATE; null or absent otherwise. */
  oldLabels?: Labels | null;
  namespaceLabels: Labels | undefined;
  /** The spec after defaulting (`effectiveSpec`), for the built-in rules. */
  effectiveSpec: KVStoreSpec;
  /** CEL variables, converted lazily: a request that matches no CEL policy never pays for the conversion. */
  celBindings: () => PreparedBindings;
}

/**
 * The CEL cost one request (or one audited store) may still spend, shared by all of its policies, so that 50 CEL
 * policies cannot add up to 50 times the per-expression bound.
 */
export interface CelRequestBudget {
  remainingCost: number;
  readonly totalCost: number;
  readonly limits: Partial<CelLimits>;
}

/** CEL cost one request may spend across all policies: ten full-budget expressions, about 150 ms of CPU. */
export const DEFAULT_REQUEST_CEL_COST_BUDGET = 500_000;

export function celRequestBudget(totalCost: number, limits: Partial<CelLimits> = {}): CelRequestBudget {
  return { remainingCost: totalCost, totalCost, limits };
}

export function coversStore(policy: CompiledPolicy, store: Pick<StoreUnderEvaluation, 'namespace' | 'labels' | 'oldLabels' | 'namespaceLabels'>): boolean {
  return policyMatches(policy.spec, {
    namespace: store.namespace, storeLabels: store.labels, oldStoreLabels: store.oldLabels, namespaceLabels: store.namespaceLabels,
  });
}

function shorten(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** `KVPolicy "prod": spec.tls.enabled must be true (rule requireTLS)`. */
export function formatViolation(policy: string, violation: RuleViolation): string {
  return `KVPolicy "${policy}": ${violation.field} ${violation.message} (rule ${violation.rule})`;
}

function evaluateExpressions(policy: CompiledPolicy, store: StoreUnderEvaluation, budget: CelRequestBudget): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const { index, expression, message, compiled } of policy.expressions) {
    const rule = `expressions[${index}]`;
    const field = `spec.rules.expressions[${index}]`;
    if (!compiled.ok) {
      // Admitted before the webhook checked it (or the webhook was down): fail closed, say why.
      violations.push({ rule, field, message: `(${shorten(expression)}) ${compiled.error}; fix the policy` });
      continue;
    }
    if (budget.remainingCost <= 0) {
      violations.push({ rule, field, message: `(${shorten(expression)}) was not evaluated: this request used up its CEL cost budget of ${budget.totalCost}` });
      continue;
    }
    const expressionLimit = budget.limits.maxCost ?? DEFAULT_CEL_LIMITS.maxCost;
    const maxCost = Math.min(expressionLimit, budget.remainingCost);
    const result = compiled.program.evaluate(store.celBindings(), { ...budget.limits, maxCost });
    budget.remainingCost -= result.cost;
    if (!result.ok) {
      const cappedByRequest = result.budgetExceeded === 'cost' && maxCost < expressionLimit;
      let error = cappedByRequest ? `${result.error}, what remained of this request's CEL cost budget of ${budget.totalCost}` : result.error;
      if (/field not found|no such key/.test(error)) error += '; the policy should guard optional fields with has()';
      violations.push({ rule, field, message: `(${shorten(expression)}) could not be evaluated: ${error}` });
    } else if (!result.allowed) {
      violations.push({ rule, field: message ? '' : field, message: message ?? `is false: ${shorten(expression)}` });
    }
  }
  return violations;
}

/**
 * Every violation of `policy` by `store`, assuming the policy covers the store (`coversStore`). Built-in rules come
 * first, in the order of BUILT_IN_RULES, then CEL rules in list order.
 */
export function evaluatePolicy(policy: CompiledPolicy, store: StoreUnderEvaluation, budget: CelRequestBudget): PolicyViolation[] {
  const ruleViolations = [...checkBuiltInRules(policy.spec.rules, store.effectiveSpec), ...evaluateExpressions(policy, store, budget)];
  return ruleViolations.map((violation) => ({
    policy: policy.name,
    enforcement: policy.enforcement,
    message: violation.field === ''
      ? `KVPolicy "${policy.name}": ${violation.message} (rule ${violation.rule})`
      : formatViolation(policy.name, violation),
  }));
}
