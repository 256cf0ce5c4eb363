/**
 * The cost and CPU-time bound of CEL evaluation (see cel.ts for the reasoning): every comprehension's loop condition
 * is wrapped in a hook that charges the loop body's size per iteration and, every few iterations, checks the
 * process CPU time. `@bufbuild/cel` has no step hook of its own, so the AST is instrumented before planning.
 */
import { celFunc, CelScalar, type parse } from '@bufbuild/cel';
import { countNodes } from './ast-check.js';

/** The hook's name: the parser cannot produce a name starting with `@`, so expressions cannot call it. */
const STEP_FUNCTION = '@redwing_step';

/** How many loop iterations pass between two CPU time checks. */
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
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export function describeExceeded(budget: Budget): string {
  return budget.exceeded === 'cost'
    ? `exceeded the cost budget of ${budget.maxCost} (loop iterations times loop size)`
    : `exceeded the CPU time limit of ${budget.timeoutMs} ms`;
}

// Evaluation is synchronous, so at most one budget is active at a time in this thread.
let activeBudget: Budget | undefined;

function chargeStep(weight: bigint): void {
  const budget = activeBudget;
  if (!budget) return;
  if (budget.exceeded) throw new BudgetExceeded(describeExceeded(budget));
  budget.cost += Number(weight);
  budget.iterations += 1;
  if (budget.cost > budget.maxCost) {
    budget.exceeded = 'cost';
  } else if (budget.iterations % CPU_CHECK_INTERVAL === 0) {
    // Reading the CPU clock is a system call: short loops (the usual case) never pay for it, and the first
    // CPU_CHECK_INTERVAL iterations are covered by the cost budget alone.
    if (budget.cpuStartMicros === undefined) budget.cpuStartMicros = cpuMicros();
    else if (cpuMicros() - budget.cpuStartMicros > budget.timeoutMs * 1000) budget.exceeded = 'time';
  }
  if (budget.exceeded) throw new BudgetExceeded(describeExceeded(budget));
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
