/**
 * One KVPolicy ready to evaluate: its CEL expressions compiled once, when the policy enters the cache. Evaluation
 * of one policy against one store is a pure function shared by admission (engine.ts) and the background audit
 * (audit.ts, run by the reconciler).
 */
import type { Enforcement, KVPolicy, KVPolicySpec } from '../shared/schema/kvpolicy.js';
import { canonicalJson } from '../shared/json-value.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import type { PolicyViolation } from './policy-port.js';
import { compileExpression, DEFAULT_CEL_LIMITS, type CelLimits, type CompiledExpression, type CompileResult, type EvaluationResult, type PreparedBindings } from './cel.js';
import { compileMatcher, type Labels, type MatchTarget } from './match.js';
import { compileBuiltInRules, type CompiledBuiltInRules, type RuleViolation } from './rules.js';

export const DEFAULT_ENFORCEMENT: Enforcement = 'Enforce';

export interface CompiledPolicy {
  readonly name: string;
  readonly enforcement: Enforcement;
  readonly spec: KVPolicySpec;
  readonly expressions: ReadonlyArray<{
    index: number; expression: string; message?: string; compiled: CompileResult;
    /** `expressions[i]` and `spec.rules.expressions[i]`, built once rather than per request. */
    rule: string; field: string;
  }>;
  /** The resource as cached (for listing). */
  readonly source: KVPolicy;
  /** `match`/`exclude` prepared once (see compileMatcher). */
  readonly matches: (target: MatchTarget) => boolean;
  /** The built-in rules it uses, prepared once (see compileBuiltInRules); undefined when it uses none. */
  readonly builtInRules: CompiledBuiltInRules | undefined;
  /** Identical rule sets (common: one baseline copied per team) are checked once per store: this is the key. */
  readonly builtInRulesKey: string;
  /** `spec.defaults`, deep-frozen so it can be handed to every request without a copy; undefined when empty. */
  readonly defaults: Readonly<Record<string, unknown>> | undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}


export function compilePolicy(policy: KVPolicy): CompiledPolicy {
  const spec = policy.spec ?? {};
  const name = policy.metadata?.name ?? '';
  const { expressions: _expressions, ...builtIn } = spec.rules ?? {};
  const defaults = spec.defaults && Object.keys(spec.defaults).length > 0 ? deepFreeze(structuredClone(spec.defaults)) : undefined;
  return {
    name,
    enforcement: spec.enforcement ?? DEFAULT_ENFORCEMENT,
    spec,
    expressions: (spec.rules?.expressions ?? []).map((rule, index) => ({
      index, expression: rule.expression, message: rule.message, compiled: compileExpression(rule.expression ?? ''),
      rule: `expressions[${index}]`, field: `spec.rules.expressions[${index}]`,
    })),
    source: policy,
    matches: compileMatcher(spec),
    builtInRules: compileBuiltInRules(spec.rules),
    builtInRulesKey: canonicalJson(builtIn),
    defaults: defaults as Readonly<Record<string, unknown>> | undefined,
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
  /**
   * Results already computed for this store, shared by its policies (optional: the audit may omit it). Both are
   * pure functions of the store, so the same rule set or the same expression text in several policies is
   * evaluated once; a CEL expression's cost is charged to the request budget once, for the one evaluation done.
   */
  memo?: EvaluationMemo;
}

/**
 * Parallel arrays searched linearly (a request sees a few distinct rule sets and expressions), not Maps: V8 promotes
 * Map backing stores to the old generation, and a per-request Map becomes old-space garbage.
 */
export interface EvaluationMemo {
  builtInKeys: string[];
  builtInResults: Array<readonly RuleViolation[]>;
  celPrograms: CompiledExpression[];
  celResults: EvaluationResult[];
}

export function newEvaluationMemo(): EvaluationMemo {
  return { builtInKeys: [], builtInResults: [], celPrograms: [], celResults: [] };
}

function memoizedBuiltIn(memo: EvaluationMemo | undefined, key: string): readonly RuleViolation[] | undefined {
  const index = memo ? memo.builtInKeys.indexOf(key) : -1;
  return index === -1 ? undefined : memo!.builtInResults[index];
}

function memoizedCel(memo: EvaluationMemo | undefined, program: CompiledExpression): EvaluationResult | undefined {
  const index = memo ? memo.celPrograms.indexOf(program) : -1;
  return index === -1 ? undefined : memo!.celResults[index];
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
  return policy.matches({
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
  for (const { expression, message, compiled, rule, field } of policy.expressions) {
    if (!compiled.ok) {
      // Admitted before the webhook checked it (or the webhook was down): fail closed, say why.
      violations.push({ rule, field, message: `(${shorten(expression)}) ${compiled.error}; fix the policy` });
      continue;
    }
    // An expression this store has already been judged by costs nothing more, even with the budget spent.
    let result = memoizedCel(store.memo, compiled.program);
    if (!result && budget.remainingCost <= 0) {
      violations.push({ rule, field, message: `(${shorten(expression)}) was not evaluated: this request used up its CEL cost budget of ${budget.totalCost}` });
      continue;
    }
    if (!result) {
      const expressionLimit = budget.limits.maxCost ?? DEFAULT_CEL_LIMITS.maxCost;
      const maxCost = Math.min(expressionLimit, budget.remainingCost);
      result = compiled.program.evaluate(store.celBindings(), { ...budget.limits, maxCost });
      budget.remainingCost -= result.cost;
      if (!result.ok) {
        // Phrased once, at evaluation, so a memoized failure reads the same in every policy.
        const cappedByRequest = result.budgetExceeded === 'cost' && maxCost < expressionLimit;
        let error = cappedByRequest ? `${result.error}, what remained of this request's CEL cost budget of ${budget.totalCost}` : result.error;
        if (/field not found|no such key/.test(error)) error += '; the policy should guard optional fields with has()';
        result = { ...result, error };
      }
      store.memo?.celPrograms.push(compiled.program);
      store.memo?.celResults.push(result);
    }
    if (!result.ok) {
      violations.push({ rule, field, message: `(${shorten(expression)}) could not be evaluated: ${result.error}` });
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
  let builtIn: readonly RuleViolation[] = [];
  if (policy.builtInRules) {
    const known = memoizedBuiltIn(store.memo, policy.builtInRulesKey);
    builtIn = known ?? policy.builtInRules(store.effectiveSpec);
    if (!known) {
      store.memo?.builtInKeys.push(policy.builtInRulesKey);
      store.memo?.builtInResults.push(builtIn);
    }
  }
  const ruleViolations = policy.expressions.length === 0 ? builtIn : [...builtIn, ...evaluateExpressions(policy, store, budget)];
  if (ruleViolations.length === 0) return [];
  return ruleViolations.map((violation) => ({
    policy: policy.name,
    enforcement: policy.enforcement,
    message: violation.field === ''
      ? `KVPolicy "${policy.name}": ${violation.message} (rule ${violation.rule})`
      : formatViolation(policy.name, violation),
  }));
}
