/**
 * The cost and CPU-time bound of CEL evaluation (see cel.ts for the reasoning): every comprehension's loop condition
 * is wrapped in a hook that charges the loop body's size per iteration, and every function call is charged its own
 * cost before it runs (cel-cost.ts); every few charges, the process CPU time is checked. `@bufbuild/cel` has no step
 * hook of its own, so the AST is instrumented before planning and the functions are wrapped.
 */
import { celFunc, CelScalar, type parse } from '@bufbuild/cel';
import { countNodes } from './ast-check.js';

/** The hook's name: the parser cannot produce a name starting with `@`, so expressions cannot call it. */
export const STEP_FUNCTION = '@redwing_step';

/** How many charges (loop iterations, function calls) pass between two CPU time checks. */
const CPU_CHECK_INTERVAL = 8;

/** Thrown by the hook; cel-es turns it into an evaluation error of the loop. */
export class BudgetExceeded extends Error {}

export interface Budget {
  cost: number;
  maxCost: number;
  timeoutMs: number;
  iterations: number;
  /** Process CPU time (µs) at the first CPU check. */
  cpuStartMicros?: number;
  exceeded?: 'cost' | 'time';
  /** What was being charged when the budget ran out (`replace() would cost 90003001`). */
  exceededBy?: string;
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export function describeExceeded(budget: Budget): string {
  if (budget.exceeded === 'time') return `exceeded the CPU time limit of ${budget.timeoutMs} ms`;
  return budget.exceededBy
    ? `exceeded the cost budget of ${budget.maxCost}: ${budget.exceededBy}`
    : `exceeded the cost budget of ${budget.maxCost} (loop iterations times loop size)`;
}

// Evaluation is synchronous, so at most one budget is active at a time in this thread.
let activeBudget: Budget | undefined;

/** Calls or iterations whose charge is at least this many units check the CPU clock at once. */
const CPU_CHECK_COST = 1000;

function charge(budget: Budget, units: number, what: string | undefined): void {
  if (budget.exceeded) throw new BudgetExceeded(describeExceeded(budget));
  budget.cost += units;
  budget.iterations += 1;
  if (budget.cost > budget.maxCost) {
    budget.exceeded = 'cost';
    if (what) budget.exceededBy = `${what} would cost ${units}, ${Math.max(0, budget.maxCost - budget.cost + units)} remained`;
  } else if (budget.iterations % CPU_CHECK_INTERVAL === 0 || units >= CPU_CHECK_COST) {
    // Reading the CPU clock is a system call: short evaluations (the usual case) never pay for it, and the first
    // CPU_CHECK_INTERVAL charges are covered by the cost budget alone.
    if (budget.cpuStartMicros === undefined) budget.cpuStartMicros = cpuMicros();
    else if (cpuMicros() - budget.cpuStartMicros > budget.timeoutMs * 1000) budget.exceeded = 'time';
  }
  if (budget.exceeded) throw new BudgetExceeded(describeExceeded(budget));
}

function chargeStep(weight: bigint): void {
  if (activeBudget) charge(activeBudget, Number(weight), undefined);
}

/**
 * Charges one function call before it runs (cel-cost.ts); throws BudgetExceeded, which ends the whole evaluation
 * (cel-es turns it into the expression's error: no `||` can swallow it), when the call does not fit.
 */
export function chargeCall(units: number, what: string): void {
  if (activeBudget) charge(activeBudget, units, what);
}

/** What the active budget still allows (unbounded outside an evaluation), so cost measurements can stop early. */
export function remainingCost(): number {
  return activeBudget ? Math.max(0, activeBudget.maxCost - activeBudget.cost) : Number.MAX_SAFE_INTEGER;
}

export function newBudget(maxCost: number, timeoutMs: number): Budget {
  return { cost: 0, maxCost, timeoutMs, iterations: 0 };
}

/** Runs `evaluate` with `budget` charged by the hook (evaluation is synchronous, so nesting is the only concern). */
export function withBudget<T>(budget: Budget, evaluate: () => T): T {
  const previous = activeBudget;
  activeBudget = budget;
  try {
    return evaluate();
  } finally {
    activeBudget = previous;
  }
}

/** The hook as a CEL function, for the environment. */
export const STEP_HOOK = celFunc(STEP_FUNCTION, [CelScalar.DYN, CelScalar.INT], CelScalar.DYN, (condition, weight) => {
  chargeStep(weight);
  return condition;
});

type Node = ReturnType<typeof parse>['expr'];
let syntheticId = 1n << 40n;

function node(kind: Node['exprKind']): Node {
  syntheticId += 1n;
  return { $typeName: 'cel.expr.Expr', id: syntheticId, exprKind: kind } as Node;
}

/** Wraps every comprehension's loop condition in the step hook, charged the size of the loop body. */
export function instrumentLoops(expr: Node): void {
  instrument(expr);
}

function instrument(expr: Node): void {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr': if (kind.value.operand) instrument(kind.value.operand); return;
    case 'callExpr':
      if (kind.value.target) instrument(kind.value.target);
      kind.value.args.forEach(instrument);
      return;
    case 'listExpr': kind.value.elements.forEach(instrument); return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') instrument(entry.keyKind.value);
        if (entry.value) instrument(entry.value);
      }
      return;
    case 'comprehensionExpr': {
      const comprehension = kind.value;
      for (const part of [comprehension.iterRange, comprehension.accuInit, comprehension.loopCondition, comprehension.loopStep, comprehension.result]) {
        if (part) instrument(part);
      }
      const weight = BigInt(1 + countNodes(comprehension.loopCondition) + countNodes(comprehension.loopStep));
      const constant = node({
        case: 'constExpr',
        value: { $typeName: 'cel.expr.Constant', constantKind: { case: 'int64Value', value: weight } },
      } as Node['exprKind']);
      comprehension.loopCondition = node({
        case: 'callExpr',
        value: { $typeName: 'cel.expr.Expr.Call', function: STEP_FUNCTION, args: [comprehension.loopCondition!, constant] },
      } as Node['exprKind']);
      return;
    }
    default: return;
  }
}
