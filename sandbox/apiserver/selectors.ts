/**
 * Label and field selectors with kube-apiserver's grammar and error wording (golden 07). Label selectors are
 * shared/label-selector.ts (one copy for the sandbox, its controllers and the policy engine); this file turns its
 * errors into the API server's 400s and keeps the field selectors.
 */
import type { LabelRequirement } from '../../shared/label-selector.js';
import { LabelSelectorError, parseLabelSelector as parseSelectorText, labelSelectorRequirements as selectorObjectRequirements } from '../../shared/label-selector.js';
import { badRequest } from './status-errors.js';
import type { KubeObject } from './types.js';
import { isJsonObject } from './types.js';

export type { LabelOperator, LabelRequirement } from '../../shared/label-selector.js';
export { isLabelValue, isQualifiedName, matchesLabels } from '../../shared/label-selector.js';

/** Parses a label selector string; throws a 400 ApiError worded as kube-apiserver does. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  try {
    return parseSelectorText(input);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw badRequest(error.detail);
    throw error;
  }
}

/** Matches no labels at all: what an invalid selector selects here (kube-apiserver refuses one at validation). */
const SELECTS_NOTHING: LabelRequirement[] = [{ key: 'selects-nothing', operator: 'in', values: [] }];

/**
 * A stored metav1.LabelSelector (matchLabels / matchExpressions) as requirements: none for an absent or empty one
 * (each caller decides what that means), and requirements no labels meet for an invalid one.
 */
export function labelSelectorRequirements(selector: unknown): LabelRequirement[] {
  if (!isJsonObject(selector)) return [];
  try {
    return selectorObjectRequirements(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) return SELECTS_NOTHING;
    throw error;
  }
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
