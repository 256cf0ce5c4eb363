/**
 * Label and field selectors with kube-apiserver's grammar and error wording (golden 07).
 */
import { badRequest } from './status-errors.js';
import type { KubeObject } from './types.js';
import { isJsonObject } from './types.js';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

type Token = { kind: 'id' | 'op' | 'comma' | 'open' | 'close' | 'not' | 'in' | 'notin' | 'end'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const special = '=!(),<>';
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === ',') { tokens.push({ kind: 'comma', text: ',' }); i++; continue; }
    if (c === '(') { tokens.push({ kind: 'open', text: '(' }); i++; continue; }
    if (c === ')') { tokens.push({ kind: 'close', text: ')' }); i++; continue; }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') { tokens.push({ kind: 'op', text: two }); i += 2; continue; }
      if (c === '!') { tokens.push({ kind: 'not', text: '!' }); i++; continue; }
      tokens.push({ kind: 'op', text: c === '<' ? 'lt' : c === '>' ? 'gt' : '=' });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !special.includes(input[j]!) && input[j] !== ' ' && input[j] !== '\t') j++;
    const word = input.slice(i, j);
    tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', text: word });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

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

/** Parses a label selector string; throws a 400 ApiError worded as kube-apiserver does. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    let negated = false;
    if (peek().kind === 'not') {
      next();
      negated = true;
    }
    const keyToken = next();
    if (keyToken.kind !== 'id') throw badRequest(`unable to parse requirement: found '${keyToken.text}', expected: identifier`);
    const key = keyToken.text;
    if (!isQualifiedName(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
    if (negated) {
      requirements.push({ key, operator: '!', values: [] });
    } else {
      const opToken = peek();
      if (opToken.kind === 'comma' || opToken.kind === 'end') {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (opToken.kind === 'in' || opToken.kind === 'notin') {
        next();
        if (next().kind !== 'open') throw badRequest(`unable to parse requirement: found '${tokens[pos - 1]!.text}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const t = next();
          if (t.kind === 'close' && values.length === 0) break;
          if (t.kind === 'id') values.push(t.text);
          else if (t.kind === 'comma') { values.push(''); pos--; }
          else throw badRequest(`unable to parse requirement: found '${t.text}', expected: ',' or ')'`);
          const sep = next();
          if (sep.kind === 'close') break;
          if (sep.kind !== 'comma') throw badRequest(`unable to parse requirement: found '${sep.text}', expected: ',' or ')'`);
        }
        requirements.push({ key, operator: opToken.kind, values });
      } else if (opToken.kind === 'op') {
        next();
        const valueToken = peek();
        let value = '';
        if (valueToken.kind === 'id') {
          value = valueToken.text;
          next();
        }
        if (!isLabelValue(value)) throw badRequest(`unable to parse requirement: invalid label value: "${value}"`);
        requirements.push({ key, operator: opToken.text as LabelOperator, values: [value] });
      } else {
        throw badRequest(`unable to parse requirement: found '${opToken.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== 'comma') throw badRequest(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return requirements;
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'exists': return has;
      case '!': return !has;
      case '=': case '==': case 'in': return has && r.values.includes(value!);
      case '!=': case 'notin': return !has || !r.values.includes(value!);
      case 'gt': return has && Number(value) > Number(r.values[0]);
      case 'lt': return has && Number(value) < Number(r.values[0]);
      default: return false;
    }
  });
}

/** A metav1.LabelSelector (matchLabels / matchExpressions) as requirements. */
export function labelSelectorRequirements(selector: unknown): LabelRequirement[] {
  if (!isJsonObject(selector)) return [];
  const out: LabelRequirement[] = [];
  const matchLabels = isJsonObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels)) out.push({ key, operator: '=', values: [String(value)] });
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of expressions) {
    if (!isJsonObject(e)) continue;
    const op = String(e.operator ?? '');
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const operator: LabelOperator = op === 'In' ? 'in' : op === 'NotIn' ? 'notin' : op === 'Exists' ? 'exists' : '!';
    out.push({ key: String(e.key ?? ''), operator, values });
  }
  return out;
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Parses a field selector (equality only). */
export function parseFieldSelector(input: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (input.trim() === '') return out;
  for (const part of splitUnescaped(input)) {
    const m = /^([^=!]+?)(==|!=|=)(.*)$/.exec(part.trim());
    if (!m || /\s/.test(m[1]!.trim()) ) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    out.push({ field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]!) });
  }
  return out;
}

function splitUnescaped(input: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      current += c + input[i + 1];
      i++;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function dig(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Field selectors each kind supports beyond metadata.name and metadata.namespace. */
const EXTRA_FIELDS: Record<string, string[]> = {
  '/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'regarding.apiVersion', 'regarding.resourceVersion', 'regarding.fieldPath', 'reason', 'reportingController', 'type'],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
  '/nodes': ['spec.unschedulable'],
  '/services': ['spec.clusterIP', 'spec.type'],
  '/persistentvolumeclaims': [],
};

/** Validates field names for a resource (storage key `group/plural`); custom kinds add their selectableFields. */
export function checkFieldSelector(resource: string, requirements: FieldRequirement[], selectable: string[] = []): void {
  const allowed = ['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[resource] ?? []), ...selectable.map((f) => f.replace(/^\./, ''))];
  for (const r of requirements) {
    if (!allowed.includes(r.field)) {
      throw badRequest(`"${r.field}" is not a known field selector: only ${allowed.map((f) => `"${f}"`).join(', ')}`);
    }
  }
}

function fieldValue(object: KubeObject, field: string): string {
  if (field === 'source') return String(dig(object, 'source.component') ?? dig(object, 'reportingComponent') ?? '');
  const value = dig(object, field);
  if (value === undefined || value === null) return field === 'spec.unschedulable' || field === 'spec.hostNetwork' ? 'false' : '';
  return String(value);
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => {
    const actual = fieldValue(object, r.field);
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}
