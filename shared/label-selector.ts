/**
 * Kubernetes label selectors, in both forms, as apimachinery reads them: the string form of `?labelSelector=`
 * (labels.Parse: `a=b,c!=d,e in (x,y),!f,g`) and the LabelSelector object (matchLabels / matchExpressions,
 * metav1.LabelSelectorAsSelector). Both become the same requirements, matched by one function. The sandbox's API
 * server, its controllers and the policy engine all use this one copy, so they cannot disagree about a selector.
 *
 * Errors keep apimachinery's wording in `detail` (the sandbox's API server answers with it, as the goldens do) and
 * name the selector in `message`.
 */
import { isPlainObject } from './json-value.js';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: readonly string[];
}

/** A selector apimachinery would refuse. */
export class LabelSelectorError extends Error {
  /** apimachinery's own words, without the selector. */
  readonly detail: string;
  constructor(selector: string, detail: string) {
    super(`invalid label selector ${selector}: ${detail}`);
    this.name = 'LabelSelectorError';
    this.detail = detail;
  }
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** validation.IsQualifiedName: `[prefix/]name`, name ≤ 63 characters, prefix a DNS subdomain. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Whether one requirement holds for a label's value (undefined: the label is absent). */
export function requirementHolds(requirement: LabelRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  switch (requirement.operator) {
    case 'exists': return has;
    case '!': return !has;
    case '=': case '==': case 'in': return has && requirement.values.includes(value);
    // as in apimachinery, a missing key satisfies != and notin
    case '!=': case 'notin': return !has || !requirement.values.includes(value);
    case 'gt': return has && Number(value) > Number(requirement.values[0]);
    case 'lt': return has && Number(value) < Number(requirement.values[0]);
    default: return false;
  }
}

/** Every requirement holds (no requirements: everything matches). */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => requirementHolds(r, Object.prototype.hasOwnProperty.call(l, r.key) ? l[r.key] : undefined));
}

/** labels.NewRequirement's checks: key, values per operator, each value. Returns apimachinery's message or undefined. */
function requirementProblem(key: string, operator: LabelOperator, values: readonly string[]): string | undefined {
  if (!isQualifiedName(key)) {
    return `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  if ((operator === 'in' || operator === 'notin') && values.length === 0) return "for 'in', 'notin' operators, values set can't be empty";
  if ((operator === 'exists' || operator === '!') && values.length > 0) return 'values set must be empty for exists and does not exist';
  if ((operator === 'gt' || operator === 'lt') && (values.length !== 1 || !/^[-+]?\d+$/.test(values[0]!))) {
    return "for 'Gt', 'Lt' operators, exactly one integer value is required";
  }
  const bad = values.find((v) => !isLabelValue(v));
  return bad === undefined ? undefined : `invalid label value: "${bad}"`;
}

const OBJECT_OPERATORS: Readonly<Record<string, LabelOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

function describe(selector: unknown): string {
  return JSON.stringify(selector) ?? String(selector);
}

/**
 * A LabelSelector object as requirements (metav1.LabelSelectorAsSelector). `{}` gives none (everything matches);
 * whether an absent selector means everything or nothing is the caller's business, as it is in Kubernetes.
 * Throws LabelSelectorError naming the selector for anything apimachinery refuses: an unknown operator, `In`/`NotIn`
 * without values, `Exists`/`DoesNotExist` with values, an invalid key or value, a malformed shape.
 */
export function labelSelectorRequirements(selector: unknown): LabelRequirement[] {
  const refuse = (detail: string): never => { throw new LabelSelectorError(describe(selector), detail); };
  if (!isPlainObject(selector)) return refuse('must be an object with matchLabels and/or matchExpressions');
  const { matchLabels = {}, matchExpressions = [] } = selector;
  if (!isPlainObject(matchLabels)) return refuse('matchLabels must be a map of label keys to string values');
  if (!Array.isArray(matchExpressions)) return refuse('matchExpressions must be a list of {key, operator, values}');
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(matchLabels)) {
    if (typeof value !== 'string') return refuse(`matchLabels.${key} must be a string`);
    const problem = requirementProblem(key, '=', [value]);
    if (problem) return refuse(problem);
    out.push({ key, operator: '=', values: [value] });
  }
  for (const expression of matchExpressions as unknown[]) {
    if (!isPlainObject(expression)) return refuse('each matchExpressions entry must be an object {key, operator, values}');
    const { key, operator, values = [] } = expression;
    const op = typeof operator === 'string' && Object.hasOwn(OBJECT_OPERATORS, operator) ? OBJECT_OPERATORS[operator]! : undefined;
    if (op === undefined) return refuse(`"${String(operator)}" is not a valid label selector operator`);
    if (typeof key !== 'string') return refuse('matchExpressions key must be a string');
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return refuse('matchExpressions values must be a list of strings');
    const problem = requirementProblem(key, op, values as string[]);
    if (problem) return refuse(problem);
    out.push({ key, operator: op, values: [...(values as string[])] });
  }
  return out;
}

/** A LabelSelector object against labels; an invalid selector throws LabelSelectorError. */
export function labelSelectorMatches(selector: unknown, labels: Readonly<Record<string, string>> | undefined): boolean {
  return matchesLabels(labelSelectorRequirements(selector), labels);
}

/**
 * The same, where a selector that made it past validation is matched rather than judged: an invalid one selects
 * nothing (what Kubernetes' controllers do when LabelSelectorAsSelector fails).
 */
export function labelSelectorSelects(selector: unknown, labels: Readonly<Record<string, string>> | undefined): boolean {
  try {
    return labelSelectorMatches(selector, labels);
  } catch (error) {
    if (error instanceof LabelSelectorError) return false;
    throw error;
  }
}

type TokenKind = 'id' | 'op' | 'comma' | 'open' | 'close' | 'not' | 'end';
interface Token { kind: TokenKind; text: string }

/** labels.Lexer: special symbols `=!(),<>`, white space separates, anything else runs into an identifier. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const punctuation: Record<string, TokenKind> = { ',': 'comma', '(': 'open', ')': 'close' };
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    const two = input.slice(i, i + 2);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (punctuation[c]) { tokens.push({ kind: punctuation[c], text: c }); i++; }
    else if (two === '==' || two === '!=') { tokens.push({ kind: 'op', text: two }); i += 2; }
    else if (c === '!') { tokens.push({ kind: 'not', text: c }); i++; }
    else if (c === '=' || c === '<' || c === '>') { tokens.push({ kind: 'op', text: c === '<' ? 'lt' : c === '>' ? 'gt' : '=' }); i++; }
    else {
      let j = i;
      while (j < input.length && !'=!(),<> \t\n\r'.includes(input[j]!)) j++;
      tokens.push({ kind: 'id', text: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

/** The `(a,b,,)` list after in/notin, as labels.Parser.parseValues reads it (`()` and empty items are ""). */
function parseValueList(tokens: Token[], at: { pos: number }): string[] {
  const open = tokens[at.pos++]!;
  if (open.kind !== 'open') throw new Error(`found '${open.text}', expected: '('`);
  const first = tokens[at.pos]!;
  if (first.kind === 'close') { at.pos++; return ['']; }
  if (first.kind !== 'id' && first.kind !== 'comma') throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
  const values = new Set<string>();
  for (;;) {
    const t = tokens[at.pos++]!;
    if (t.kind === 'id') {
      values.add(t.text);
      const after = tokens[at.pos]!;
      if (after.kind === 'close') break;
      if (after.kind !== 'comma') throw new Error(`found '${after.text}', expected: ',' or ')'`);
    } else if (t.kind === 'comma') {
      if (values.size === 0) values.add('');
      const after = tokens[at.pos]!;
      if (after.kind === 'close') { values.add(''); break; }
      if (after.kind === 'comma') { at.pos++; values.add(''); }
    } else {
      throw new Error(`found '${t.text}', expected: ',', or identifier`);
    }
  }
  at.pos++;
  return [...values].sort();
}

/** One requirement (labels.Parser.parseRequirement); its errors are the parser's words. */
function parseRequirement(tokens: Token[], at: { pos: number }): LabelRequirement {
  const negated = tokens[at.pos]!.kind === 'not';
  if (negated) at.pos++;
  const keyToken = tokens[at.pos++]!;
  if (keyToken.kind !== 'id') throw new Error(`found '${keyToken.text}', expected: identifier`);
  const key = keyToken.text;
  const finish = (operator: LabelOperator, values: string[]): LabelRequirement => {
    const problem = requirementProblem(key, operator, values);
    if (problem) throw new Error(problem);
    return { key, operator, values };
  };
  const next = tokens[at.pos]!;
  if (negated) return finish('!', []);
  if (next.kind === 'end' || next.kind === 'comma') return finish('exists', []);
  at.pos++;
  if (next.kind === 'id' && (next.text === 'in' || next.text === 'notin')) return finish(next.text, parseValueList(tokens, at));
  if (next.kind !== 'op') throw new Error(`found '${next.text}', expected: in, notin, =, ==, !=, gt, lt`);
  const value = tokens[at.pos]!;
  if (value.kind === 'end' || value.kind === 'comma') return finish(next.text as LabelOperator, ['']);
  at.pos++;
  if (value.kind !== 'id') throw new Error(`found '${value.text}', expected: identifier`);
  return finish(next.text as LabelOperator, [value.text]);
}

/**
 * A label selector string as requirements (labels.Parse); "" selects everything. Throws LabelSelectorError with
 * apimachinery's message in `detail`: `unable to parse requirement: …` for a bad requirement, `found 'x', expected: …`
 * between requirements.
 */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = tokenize(input);
  const at = { pos: 0 };
  const requirements: LabelRequirement[] = [];
  const refuse = (detail: string): never => { throw new LabelSelectorError(JSON.stringify(input), detail); };
  for (;;) {
    const head = tokens[at.pos]!;
    if (head.kind === 'end') return requirements;
    if (head.kind !== 'id' && head.kind !== 'not') return refuse(`found '${head.text}', expected: !, identifier, or 'end of string'`);
    try {
      requirements.push(parseRequirement(tokens, at));
    } catch (error) {
      return refuse(`unable to parse requirement: ${(error as Error).message}`);
    }
    const separator = tokens[at.pos++]!;
    if (separator.kind === 'end') return requirements;
    if (separator.kind !== 'comma') return refuse(`found '${separator.text}', expected: ',' or 'end of string'`);
    const following = tokens[at.pos]!;
    if (following.kind !== 'id' && following.kind !== 'not') return refuse(`found '${following.text}', expected: identifier after ','`);
  }
}
