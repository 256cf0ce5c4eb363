/**
 * CEL rules of KVPolicies (`spec.rules.expressions[]`), on `@bufbuild/cel`.
 *
 * Compilation happens when a policy is admitted (and again, from the cache, when it is loaded): the expression is
 * parsed (syntax errors carry line and column), then checked by `checkExpression` (ast-check.ts): known variables
 * (`object`, `oldObject`, `request`), known functions, size limits, and a result that can be a bool. The checked
 * AST is instrumented for the cost bound and planned once; compiled programs are cached by expression text.
 *
 * Bounds (why these: docs/policy.md, "CEL bounds"):
 * - size: at most `maxExpressionLength` characters and `maxAstNodes` nodes, so one evaluation without loops is cheap;
 * - cost: loops are the only way an expression's work grows with its input, so every comprehension iteration
 *   (`all`, `exists`, `exists_one`, `map`, `filter`) is charged the node count of its loop body, and the evaluation
 *   stops once `maxCost` is spent (like the Kubernetes runtime cost budget, in AST nodes). This is the bound that
 *   normally decides, and it is deterministic: the same object always gets the same answer;
 * - calls: every function call is charged, before it runs, the work it does and the size of what it builds
 *   (cel-cost.ts), so no single call can blow the budget: `replace("", s)` on a long string or `join` of a long
 *   list is refused from its predicted result size;
 * - time: the same charges (cel-budget.ts) check, every few charges, the process CPU time spent against
 *   `timeoutMs`. It is a safety net for what the cost model does not see. CPU time, not wall-clock time: on a busy
 *   node a descheduled webhook must not deny a cheap expression because the clock moved while it was not running.
 * The hook is a function the parser cannot produce (its name starts with `@`), so users cannot call or shadow it.
 */
import {
  celEnv, celFunc, celList, celMap, celMethod, CelScalar, isCelError, isCelList, isCelMap, parse, plan, type CelInput, type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { checkExpression, countNodes, formatPosition } from './ast-check.js';
import { describeExceeded, instrumentLoops, newBudget, STEP_HOOK, withBudget } from './cel-budget.js';
import { LINEAR_REPLACE, withCallCosts } from './cel-cost.js';
import { compiledRegex } from './cel-regex.js';
import { readVariablesDirectly } from './cel-variables.js';
import { errorMessage } from '../shared/error-message.js';

export interface CelLimits {
  maxExpressionLength: number;
  maxAstNodes: number;
  /** Budget of one evaluation, in AST nodes charged per loop iteration. */
  maxCost: number;
  /** CPU time one evaluation may spend in loops, in milliseconds. */
  timeoutMs: number;
}

/**
 * Measured on this evaluator (Node 20, one core, warm): one cost unit is 0.01–0.2 µs of CPU whatever spends it
 * (loop iterations, string functions, deep comparisons; docs/policy.md), so 50,000 units are 5–10 ms; a realistic
 * KVStore rule (a few config keys or args) costs under 100. The CPU limit sits well above what the cost budget
 * allows, so it only trips on what the cost model misses.
 */
export const DEFAULT_CEL_LIMITS: CelLimits = {
  maxExpressionLength: 4096,
  maxAstNodes: 1000,
  maxCost: 50_000,
  timeoutMs: 50,
};


/** The variables every expression sees. */
export const CEL_VARIABLES = ['object', 'oldObject', 'request'] as const;

export interface CelBindings {
  object: unknown;
  oldObject: unknown;
  request: { operation: string; namespace: string; userInfo: { username: string; groups?: string[] } };
}

export type CompileResult =
  | { ok: true; program: CompiledExpression }
  | { ok: false; error: string };

/** `cost` is what the evaluation spent (cost units), so a caller can keep a budget across several expressions. */
export type EvaluationResult =
  | { ok: true; allowed: boolean; cost: number }
  | { ok: false; error: string; cost: number; budgetExceeded?: 'cost' | 'time' };

/** Bindings converted once per request (see `prepareBindings`) and shared by every expression. */
export interface PreparedBindings {
  readonly celValues: Record<string, never>;
}

export interface CompiledExpression {
  readonly expression: string;
  readonly nodeCount: number;
  evaluate(bindings: PreparedBindings, limits?: Partial<CelLimits>): EvaluationResult;
}

const UNCHARGED_ENV = celEnv({
  funcs: [
    ...strings,
    ...LINEAR_REPLACE,
    celMethod('matches', CelScalar.STRING, [CelScalar.STRING], CelScalar.BOOL, function matches(this: string, pattern: string) {
      return compiledRegex(pattern).test(this);
    }),
    celFunc('matches', [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, (text, pattern) => compiledRegex(pattern).test(text)),
    STEP_HOOK,
  ],
});

/** Every function, standard ones included, charged before it runs (cel-cost.ts). */
const ENV = celEnv({ funcs: withCallCosts(UNCHARGED_ENV.funcs) });

function formatSyntaxError(error: unknown): string {
  const details = error as { rawMessage?: string; message?: string; location?: { start?: { line: number; column: number } } };
  const start = details.location?.start;
  const text = details.rawMessage ?? details.message ?? String(error);
  return start ? `syntax error at line ${start.line}, column ${start.column}: ${text}` : `syntax error: ${text}`;
}

function compileUncached(expression: string, limits: CelLimits): CompileResult {
  if (expression.trim() === '') return { ok: false, error: 'is empty' };
  if (expression.length > limits.maxExpressionLength) {
    return { ok: false, error: `is ${expression.length} characters long; the limit is ${limits.maxExpressionLength}` };
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (error) {
    return { ok: false, error: formatSyntaxError(error) };
  }
  const nodeCount = countNodes(parsed.expr);
  if (nodeCount > limits.maxAstNodes) {
    return { ok: false, error: `has ${nodeCount} syntax nodes; the limit is ${limits.maxAstNodes} (split it into several rules)` };
  }
  const problem = checkExpression(parsed.expr, parsed.sourceInfo, expression, {
    variables: CEL_VARIABLES, findFunction: (name) => ENV.funcs.find(name),
  });
  if (problem) return { ok: false, error: problem };
  instrumentLoops(parsed.expr);
  readVariablesDirectly(parsed.expr, CEL_VARIABLES);
  let program: ReturnType<typeof plan>;
  try {
    program = plan(ENV, parsed);
  } catch (error) {
    return { ok: false, error: `cannot be planned: ${errorMessage(error)}` };
  }
  return { ok: true, program: new Program(expression, nodeCount, program, parsed.sourceInfo) };
}

class Program implements CompiledExpression {
  constructor(
    readonly expression: string,
    readonly nodeCount: number,
    private readonly run: ReturnType<typeof plan>,
    private readonly sourceInfo: Parameters<typeof formatPosition>[0],
  ) {}

  evaluate(bindings: PreparedBindings, overrides: Partial<CelLimits> = {}): EvaluationResult {
    const limits = { ...DEFAULT_CEL_LIMITS, ...overrides };
    const budget = newBudget(limits.maxCost, limits.timeoutMs);
    const result: CelValue | Error = withBudget(budget, () => this.run(bindings.celValues));
    // A budget error can be swallowed by `||`/`&&` (`x.all(...) || true`), so the budget itself is the authority.
    // An expression that ran out used its whole allowance: a refused call was never run, so it is not charged
    // beyond that; running out of time means the cost model underestimated it, and charging the whole allowance
    // lets a request's budget drain after a few such expressions rather than each taking the full time.
    const cost = budget.exceeded ? limits.maxCost : budget.cost;
    if (budget.exceeded) return { ok: false, error: describeExceeded(budget), cost, budgetExceeded: budget.exceeded };
    if (isCelError(result)) {
      const where = result.exprId === undefined ? '' : formatPosition(this.sourceInfo, this.expression, result.exprId);
      return { ok: false, error: `${result.message}${where ? ` (at ${where})` : ''}`, cost };
    }
    if (typeof result !== 'boolean') return { ok: false, error: `returned ${describeValue(result)}, not a bool`, cost };
    return { ok: true, allowed: result, cost };
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `an int (${value})`;
  if (typeof value === 'number') return `a double (${value})`;
  if (typeof value === 'string') return 'a string';
  if (isCelList(value)) return 'a list';
  if (isCelMap(value)) return 'a map';
  return `a ${typeof value}`;
}

/**
 * A JSON object as the map behind a CEL map (`celMap` takes any ReadonlyMap), converting each field on first access
 * and keeping the result. Converting a whole KVStore up front cost ~13 µs per request, and most expressions read
 * three or four fields of it. Deliberately not a JS `Map`: V8 promotes Map backing stores to the old generation
 * (measured: ~1 KB per request surviving into old space, growing the heap until a full GC), while plain objects and
 * arrays die young.
 */
class JsonObjectMap implements ReadonlyMap<string, CelInput> {
  private keyList: string[] | undefined;
  private converted: Record<string, CelInput> | undefined;

  constructor(private readonly json: Record<string, unknown>) {}

  private presentKeys(): string[] {
    return (this.keyList ??= Object.keys(this.json).filter((key) => this.json[key] !== undefined));
  }

  get size(): number {
    return this.presentKeys().length;
  }

  has(key: unknown): boolean {
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(this.json, key) && this.json[key] !== undefined;
  }

  get(key: unknown): CelInput | undefined {
    if (typeof key !== 'string' || !this.has(key)) return undefined;
    const converted = (this.converted ??= Object.create(null) as Record<string, CelInput>);
    return (converted[key] ??= toCelValue(this.json[key]) as CelInput);
  }

  keys(): MapIterator<string> {
    return this.presentKeys()[Symbol.iterator]() as MapIterator<string>;
  }

  *values(): MapIterator<CelInput> {
    for (const key of this.presentKeys()) yield this.get(key)!;
  }

  *entries(): MapIterator<[string, CelInput]> {
    for (const key of this.presentKeys()) yield [key, this.get(key)!];
  }

  [Symbol.iterator](): MapIterator<[string, CelInput]> {
    return this.entries();
  }

  forEach(callback: (value: CelInput, key: string, map: ReadonlyMap<string, CelInput>) => void, thisArg?: unknown): void {
    for (const key of this.presentKeys()) callback.call(thisArg, this.get(key)!, key, this);
  }
}

/**
 * JSON values as CEL sees them in Kubernetes: whole numbers are `int` (so `object.spec.replicas % 2 == 1` works),
 * other numbers `double`; objects are maps, arrays lists.
 */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  // CEL's own list and map: handing cel-es plain objects makes it convert them again at every field access
  // (measured: 20 µs per `object.…` access on a realistic KVStore, 0.5 µs this way). Objects convert lazily.
  if (Array.isArray(value)) return celList(value.map(toCelValue) as CelInput[]);
  if (value !== null && typeof value === 'object') return celMap(new JsonObjectMap(value as Record<string, unknown>));
  return value;
}

/** Converts the variables to CEL values once, so N expressions over one request do not convert N times. */
export function prepareBindings(bindings: CelBindings): PreparedBindings {
  return {
    celValues: {
      object: toCelValue(bindings.object ?? null),
      oldObject: toCelValue(bindings.oldObject ?? null),
      request: toCelValue(bindings.request),
    } as unknown as Record<string, never>,
  };
}

const CACHE_LIMIT = 2048;
const cache = new Map<string, CompileResult>();

/**
 * Compiles `expression` (cached by its text: the same expression in 50 policies is compiled once). Errors are
 * phrased to follow the field name: `spec.rules.expressions[0].expression <error>`.
 */
export function compileExpression(expression: string, limits: Partial<CelLimits> = {}): CompileResult {
  const custom = Object.keys(limits).length > 0;
  if (!custom) {
    const cached = cache.get(expression);
    if (cached) return cached;
  }
  const result = compileUncached(expression, { ...DEFAULT_CEL_LIMITS, ...limits });
  if (!custom) {
    // Bounded: policies are few, but expression texts arrive from the API and must not grow memory without end.
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(expression, result);
  }
  return result;
}

/** How many compiled programs the cache holds (for tests and metrics). */
export function compiledExpressionCacheSize(): number {
  return cache.size;
}

