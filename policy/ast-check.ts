/**
 * Static checks of a parsed CEL expression, done once at compile time, so a policy that cannot work is refused
 * when it is admitted rather than failing at every admission:
 * - every identifier is a declared variable (`object`, `oldObject`, `request`) or a comprehension variable;
 * - every function exists in the environment;
 * - the result can be a bool.
 *
 * `@bufbuild/cel` 0.6 does not export its type checker, and our variables are schemaless JSON (type `dyn`) anyway,
 * so this is a small inference of the possible result types: a set of type names, or `dyn` when any type is
 * possible. An expression is refused only when its result can certainly not be a bool (`object.spec.replicas + 1`,
 * `"text"`, `size(x)`); a `dyn` result (`object.spec.tls.enabled`) is checked again at run time, where a non-bool
 * value is an evaluation error.
 */
import type { parse } from '@bufbuild/cel';

type Parsed = ReturnType<typeof parse>;
export type CelExpr = Parsed['expr'];
export type CelSourceInfo = Parsed['sourceInfo'];

interface FuncGroupLike extends Iterable<{ result: { name: string } }> {}

export interface CheckEnvironment {
  variables: readonly string[];
  findFunction(name: string): FuncGroupLike | undefined;
}

type Types = ReadonlySet<string> | 'dyn';

const BOOL: Types = new Set(['bool']);
const OPERATORS_RETURNING_BOOL = new Set(['_&&_', '_||_', '!_', '@not_strictly_false', '__not_strictly_false__']);
const DYNAMIC_OPERATORS = new Set(['_[_]', '_[?_]', '_?._']);

class CheckError extends Error {
  constructor(message: string, readonly exprId: bigint) {
    super(message);
  }
}

/** Nodes in the tree (for the size limit and loop weights). */
export function countNodes(expr: CelExpr | undefined): number {
  if (!expr) return 0;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr': return 1 + countNodes(kind.value.operand);
    case 'callExpr': return 1 + countNodes(kind.value.target) + kind.value.args.reduce((sum, arg) => sum + countNodes(arg), 0);
    case 'listExpr': return 1 + kind.value.elements.reduce((sum, element) => sum + countNodes(element), 0);
    case 'structExpr':
      return 1 + kind.value.entries.reduce((sum, entry) =>
        sum + countNodes(entry.value) + (entry.keyKind.case === 'mapKey' ? countNodes(entry.keyKind.value) : 0), 0);
    case 'comprehensionExpr': {
      const c = kind.value;
      return 1 + countNodes(c.iterRange) + countNodes(c.accuInit) + countNodes(c.loopCondition) + countNodes(c.loopStep) + countNodes(c.result);
    }
    default: return 1;
  }
}

/** `line 2, column 7` for the node `exprId`, from the parser's source offsets; '' when unknown. */
export function formatPosition(sourceInfo: CelSourceInfo | undefined, text: string, exprId: bigint): string {
  const offset = sourceInfo?.positions[String(exprId)];
  if (offset === undefined) return '';
  const chars = Array.from(text).slice(0, offset);
  const line = chars.filter((char) => char === '\n').length + 1;
  const lastNewline = chars.lastIndexOf('\n');
  return `line ${line}, column ${offset - lastNewline}`;
}

function union(a: Types, b: Types): Types {
  if (a === 'dyn' || b === 'dyn') return 'dyn';
  return new Set([...a, ...b]);
}

function constantType(kind: string): Types {
  const names: Record<string, string> = {
    boolValue: 'bool', int64Value: 'int', uint64Value: 'uint', doubleValue: 'double', stringValue: 'string',
    bytesValue: 'bytes', nullValue: 'null_type',
  };
  return new Set([names[kind] ?? 'dyn']);
}

function describe(types: Types): string {
  return types === 'dyn' ? 'dyn' : [...types].sort().join(' or ');
}

class Checker {
  constructor(private readonly env: CheckEnvironment) {}

  infer(expr: CelExpr, scope: ReadonlyMap<string, Types>): Types {
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr': return constantType(kind.value.constantKind.case ?? '');
      case 'identExpr': {
        const known = scope.get(kind.value.name);
        if (known) return known;
        if (this.env.variables.includes(kind.value.name)) return 'dyn';
        throw new CheckError(`undeclared reference to "${kind.value.name}" (the variables are ${this.env.variables.join(', ')})`, expr.id);
      }
      case 'selectExpr':
        if (kind.value.operand) this.infer(kind.value.operand, scope);
        return kind.value.testOnly ? BOOL : 'dyn';
      case 'listExpr':
        kind.value.elements.forEach((element) => this.infer(element, scope));
        return new Set(['list']);
      case 'structExpr':
        if (kind.value.messageName) throw new CheckError(`message construction (${kind.value.messageName}) is not supported`, expr.id);
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.infer(entry.keyKind.value, scope);
          if (entry.value) this.infer(entry.value, scope);
        }
        return new Set(['map']);
      case 'comprehensionExpr': return this.inferComprehension(kind.value, scope);
      case 'callExpr': return this.inferCall(expr, kind.value, scope);
      default: throw new CheckError('unsupported expression', expr.id);
    }
  }

  private inferComprehension(c: Extract<CelExpr['exprKind'], { case: 'comprehensionExpr' }>['value'], scope: ReadonlyMap<string, Types>): Types {
    if (c.iterRange) this.infer(c.iterRange, scope);
    const accuType = c.accuInit ? this.infer(c.accuInit, scope) : 'dyn';
    const loopScope = new Map(scope).set(c.accuVar, accuType).set(c.iterVar, 'dyn');
    if (c.iterVar2) loopScope.set(c.iterVar2, 'dyn');
    if (c.loopCondition) this.infer(c.loopCondition, loopScope);
    if (c.loopStep) this.infer(c.loopStep, loopScope);
    const resultScope = new Map(scope).set(c.accuVar, accuType);
    return c.result ? this.infer(c.result, resultScope) : 'dyn';
  }

  private inferCall(expr: CelExpr, call: Extract<CelExpr['exprKind'], { case: 'callExpr' }>['value'], scope: ReadonlyMap<string, Types>): Types {
    const name = call.function;
    const qualified = call.target ? qualifiedName(call.target) : undefined;
    if (qualified && this.env.findFunction(`${qualified}.${name}`)) {
      call.args.forEach((arg) => this.infer(arg, scope));
      return resultTypes(this.env.findFunction(`${qualified}.${name}`)!);
    }
    if (call.target) this.infer(call.target, scope);
    const argTypes = call.args.map((arg) => this.infer(arg, scope));
    if (OPERATORS_RETURNING_BOOL.has(name)) return BOOL;
    if (DYNAMIC_OPERATORS.has(name)) return 'dyn';
    if (name === '_?_:_') return union(argTypes[1] ?? 'dyn', argTypes[2] ?? 'dyn');
    const group = this.env.findFunction(name);
    if (!group) throw new CheckError(`undeclared function "${name}"`, expr.id);
    return resultTypes(group);
  }
}

function qualifiedName(expr: CelExpr): string | undefined {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') return kind.value.name;
  if (kind.case === 'selectExpr' && !kind.value.testOnly && kind.value.operand) {
    const parent = qualifiedName(kind.value.operand);
    return parent === undefined ? undefined : `${parent}.${kind.value.field}`;
  }
  return undefined;
}

function resultTypes(group: FuncGroupLike): Types {
  const names = new Set<string>();
  for (const overload of group) {
    if (overload.result.name === 'dyn') return 'dyn';
    names.add(overload.result.name);
  }
  return names;
}

/**
 * The first problem with the expression, phrased to follow the field name
 * (`spec.rules.expressions[0].expression <problem>`), or undefined when it is fine.
 */
export function checkExpression(expr: CelExpr, sourceInfo: CelSourceInfo | undefined, text: string, env: CheckEnvironment): string | undefined {
  let types: Types;
  try {
    types = new Checker(env).infer(expr, new Map());
  } catch (error) {
    if (!(error instanceof CheckError)) throw error;
    const where = formatPosition(sourceInfo, text, error.exprId);
    return `does not compile${where ? ` at ${where}` : ''}: ${error.message}`;
  }
  if (types !== 'dyn' && !types.has('bool')) {
    return `must evaluate to a bool (true = allowed), but its result is ${describe(types)}`;
  }
  return undefined;
}
