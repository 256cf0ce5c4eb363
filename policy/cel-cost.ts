/**
 * The cost of every CEL function call, charged to the evaluation's budget (cel-budget.ts) BEFORE the call runs, so
 * a call that would blow the budget never starts. Loops were bounded already (cel-budget.ts charges each iteration);
 * this bounds what one call does: `object.spec.image.replace("", object.spec.image)` on a 30,000-character image
 * would build a 900-million-character string (cel-es' own `replace` also rebuilds the string at each match: it ran
 * for minutes), `args.join(image)` gigabytes.
 *
 * The model follows Kubernetes' CEL cost model: strings cost their length over CHARS_PER_UNIT (Kubernetes' string
 * traversal factor is 0.1), lists and maps one unit per element, and a call is charged the work it does: what it
 * reads and what it builds. Calls whose result can be large (replace, join, split, +, format) are charged their
 * result's size, computed from the arguments without building it. Deep operations (== on maps and lists, `in` on a
 * list, format) are charged the size of what they traverse, measured with a walk that stops as soon as it exceeds
 * what the budget still allows. Measured on this evaluator, warm: a unit is 0.01–0.2 µs of CPU whatever spends it
 * (bench/webhook-cel-cost.bench.ts, figures in docs/policy.md).
 */
import { celMethod, CelScalar, isCelList, isCelMap, type CelFunc, type CelValue } from '@bufbuild/cel';
import { chargeCall, remainingCost, STEP_FUNCTION } from './cel-budget.js';
import { matchCost, MAX_REGEX_PATTERN_LENGTH } from './cel-regex.js';

/** Characters of a string one cost unit pays for (Kubernetes: 0.1 per character). */
export const CHARS_PER_UNIT = 10;

/**
 * Comparing or formatting maps and lists costs about three times as much per element as reading ten characters of a
 * string (JSON fields are converted on first read, then compared): measured 0.04–0.08 µs per unit with this factor.
 */
const DEEP_UNITS_FACTOR = 3;

function textLength(value: CelValue | undefined): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.length;
  return 0;
}

function charUnits(chars: number): number {
  return Math.ceil(chars / CHARS_PER_UNIT);
}

function containerSize(value: CelValue | undefined): number {
  if (isCelList(value) || isCelMap(value)) return value.size;
  return 0;
}

/**
 * The units needed to traverse `value` (strings by length, one unit per list element and map entry, nested
 * containers included), or `limit + 1` as soon as the walk passes `limit`: the walk itself is bounded by what the
 * budget still allows.
 */
export function traversalUnits(value: CelValue | undefined, limit: number): number {
  let total = 0;
  const pending: Array<CelValue | undefined> = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string' || next instanceof Uint8Array) {
      total += charUnits(next.length);
    } else if (isCelList(next)) {
      total += 1 + next.size;
      if (total > limit) return limit + 1;
      for (const element of next) pending.push(element);
    } else if (isCelMap(next)) {
      total += 1 + 2 * next.size;
      if (total > limit) return limit + 1;
      for (const [key, element] of next) pending.push(key, element);
    } else {
      total += 1;
    }
    if (total > limit) return limit + 1;
  }
  return total;
}

/** Occurrences `replace` would substitute (non-overlapping, left to right, at most `limit`; -1 = all). */
function countReplacements(text: string, old: string, limit: number): number {
  if (limit === 0) return 0;
  // Go (and so Kubernetes) inserts an empty `old` at every character boundary, both ends included.
  if (old === '') return limit < 0 ? text.length + 1 : Math.min(limit, text.length + 1);
  let count = 0;
  for (let index = text.indexOf(old); index !== -1 && (limit < 0 || count < limit); index = text.indexOf(old, index + old.length)) count += 1;
  return count;
}

/** The length of `text.replace(old, replacement[, limit])`, without building it. */
export function replacementLength(text: string, old: string, replacement: string, limit: number): number {
  return text.length + countReplacements(text, old, limit) * (replacement.length - old.length);
}

/**
 * `replace` in linear time, with Go's semantics (cel-go, and so Kubernetes): `limit` < 0 replaces every occurrence,
 * an empty `old` matches at every code point boundary, both ends included.
 */
export function replaceLinear(text: string, old: string, replacement: string, limit: number): string {
  if (limit === 0) return text;
  if (old === '') {
    const points = Array.from(text);
    const inserted = limit < 0 ? points.length + 1 : Math.min(limit, points.length + 1);
    let result = '';
    for (let index = 0; index < points.length; index += 1) result += index < inserted ? replacement + points[index] : points[index];
    return inserted > points.length ? result + replacement : result;
  }
  const parts = text.split(old);
  if (limit < 0 || limit >= parts.length - 1) return parts.join(replacement);
  return parts.slice(0, limit + 1).join(replacement) + old + parts.slice(limit + 1).join(old);
}

function joinLength(list: CelValue | undefined, separator: string): number {
  if (!isCelList(list)) return 0;
  let total = 0;
  for (const item of list) total += textLength(item);
  return total + Math.max(0, list.size - 1) * separator.length;
}

/** The units of one call from its target, arguments and what the budget still allows (`limit`). */
type CostEstimate = (target: CelValue | undefined, args: readonly CelValue[], limit: number) => number;

const readsTargetOrArgument: CostEstimate = (target, args) => 1 + 2 * charUnits(textLength(target ?? args[0]));

const deepEquality: CostEstimate = (_target, [left, right], limit) => {
  if (typeof left === 'string' || left instanceof Uint8Array) return 1 + charUnits(Math.min(textLength(left), textLength(right)));
  if (!(isCelList(left) || isCelMap(left)) || containerSize(left) !== containerSize(right)) return 1;
  return 1 + DEEP_UNITS_FACTOR * (traversalUnits(left, limit / DEEP_UNITS_FACTOR) + traversalUnits(right, limit / DEEP_UNITS_FACTOR));
};

const membership: CostEstimate = (_target, args, limit) =>
  isCelList(args[1]) ? 1 + DEEP_UNITS_FACTOR * traversalUnits(args[1], limit / DEEP_UNITS_FACTOR) : 1;

const searches: CostEstimate = (target, args) => 1 + charUnits(textLength(target) + textLength(args[0]));

/**
 * What each function costs beyond one unit, by name (whatever the overload); a name not listed costs 1. Pure apart
 * from the bounded traversals: `limit` is what the budget still allows, so no measurement goes far past it.
 */
const COSTS: Readonly<Record<string, CostEstimate>> = {
  // cel-es counts code points by spreading the string.
  size: (target, args) => 1 + charUnits(textLength(target ?? args[0])),
  startsWith: (_target, args) => 1 + charUnits(textLength(args[0])),
  endsWith: (_target, args) => 1 + charUnits(textLength(args[0])),
  contains: searches,
  indexOf: searches,
  lastIndexOf: searches,
  matches: (target, args) => {
    const text = target === undefined ? args[0] : target;
    const pattern = target === undefined ? args[1] : args[0];
    // A pattern over the length bound is refused by compiledRegex without compiling: charge only the check.
    if (typeof pattern !== 'string' || pattern.length > MAX_REGEX_PATTERN_LENGTH) return 1;
    return 1 + matchCost(textLength(text), pattern);
  },
  lowerAscii: readsTargetOrArgument,
  upperAscii: readsTargetOrArgument,
  trim: readsTargetOrArgument,
  'strings.quote': readsTargetOrArgument,
  string: readsTargetOrArgument,
  bytes: readsTargetOrArgument,
  // Reads the string; builds up to one list element per character.
  split: (target, args) => 1 + charUnits(textLength(target)) + textLength(target) / (textLength(args[0]) + 1),
  replace: (target, [old, replacement, limit]) => {
    if (typeof target !== 'string' || typeof old !== 'string' || typeof replacement !== 'string') return 1;
    return 1 + charUnits(target.length + replacementLength(target, old, replacement, typeof limit === 'bigint' ? Number(limit) : -1));
  },
  join: (target, args) => 1 + containerSize(target) + charUnits(joinLength(target, typeof args[0] === 'string' ? args[0] : '')),
  format: (target, args, limit) => 1 + charUnits(textLength(target)) + DEEP_UNITS_FACTOR * traversalUnits(args[0], limit / DEEP_UNITS_FACTOR),
  // Strings and bytes are copied; cel-es concatenates lists lazily, but reading a list built by `map` or `filter`
  // (one concatenation per element) walks the whole chain, so lists are charged their size too.
  '_+_': (_target, [left, right]) => 1 + charUnits(textLength(left) + textLength(right)) + charUnits(containerSize(left) + containerSize(right)),
  '_==_': deepEquality,
  '_!=_': deepEquality,
  '@in': membership,
  '_in_': membership,
};

/** The units one call of `name` costs (the target of a method call is `target`). */
export function callCost(name: string, target: CelValue | undefined, args: readonly CelValue[], limit: number): number {
  const estimate = COSTS[name];
  return estimate ? estimate(target, args, limit) : 1;
}

/**
 * Not wrapped: `dyn` is the identity inserted on every variable read (cel-variables.ts), and the loop hook charges
 * for itself.
 */
const FREE_FUNCTIONS = new Set(['dyn', STEP_FUNCTION]);

/** `replace()`, `operator ==`, `operator in`: how a call is named in a budget error. */
function describeCall(name: string): string {
  if (!name.startsWith('_') && !name.startsWith('@')) return `${name}()`;
  return `operator ${name.replace(/^@|_/g, ' ').trim()}`;
}

/**
 * `funcs` with the first overload of each name wrapped so that a call is charged before it runs. cel-es tries a
 * group's overloads in order with the same arguments and always tries the first one, so charging there charges
 * each call exactly once, whichever overload matches. The wrapper keeps the original's identity (same id, so it
 * replaces the original in `celEnv`) by inheriting from it and overriding only `call`.
 */
export function withCallCosts(funcs: Iterable<CelFunc>): CelFunc[] {
  const seen = new Set<string>();
  const result: CelFunc[] = [];
  for (const func of funcs) {
    if (seen.has(func.name) || FREE_FUNCTIONS.has(func.name)) {
      result.push(func);
      continue;
    }
    seen.add(func.name);
    const label = describeCall(func.name);
    // Chosen once here, not per call: most calls (comparisons, arithmetic) cost one unit and compute nothing.
    const estimate = Object.prototype.hasOwnProperty.call(COSTS, func.name) ? COSTS[func.name] : undefined;
    const call = estimate
      ? (id: number, target: CelValue | undefined, args: CelValue[]) => {
        chargeCall(estimate(target, args, remainingCost()), label);
        return func.call(id, target, args);
      }
      : (id: number, target: CelValue | undefined, args: CelValue[]) => {
        chargeCall(1, label);
        return func.call(id, target, args);
      };
    const charged = Object.create(func, { call: { value: call } }) as CelFunc;
    result.push(charged);
  }
  return result;
}

/** cel-es' `replace` rebuilds the whole string at every match (quadratic): these linear overloads replace it. */
export const LINEAR_REPLACE: CelFunc[] = [
  celMethod('replace', CelScalar.STRING, [CelScalar.STRING, CelScalar.STRING], CelScalar.STRING, function replace(this: string, old: string, replacement: string) {
    return replaceLinear(this, old, replacement, -1);
  }),
  celMethod('replace', CelScalar.STRING, [CelScalar.STRING, CelScalar.STRING, CelScalar.INT], CelScalar.STRING, function replace(this: string, old: string, replacement: string, limit: bigint) {
    return replaceLinear(this, old, replacement, Number(limit));
  }),
];
