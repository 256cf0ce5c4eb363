/**
 * Which KVStores a KVPolicy covers: `match` (namespace names, namespace labels, store labels) minus `exclude`
 * (namespace names, store labels). Pure functions over plain objects; namespace labels come from a cache the caller
 * keeps (a Namespace informer in the webhook, a list in the audit).
 *
 * Semantics (documented in docs/policy.md):
 * - Every part of `match` that is set must match (AND); an absent or empty part matches everything.
 * - Namespace names accept `*` wildcards (`team-*`); everything else is an exact comparison.
 * - A namespace whose labels are unknown (not in the cache yet) is treated as carrying only the label Kubernetes puts
 *   on every namespace, `kubernetes.io/metadata.name: <name>`, so `namespaceSelector`s on that label still work.
 * - `exclude` wins over `match`: a store in an excluded namespace, or whose labels match `exclude.storeSelector`,
 *   is not covered. An empty `exclude` excludes nothing.
 * - On UPDATE, store labels cannot be used to step out of a policy in the same request (Kubernetes' objectSelector
 *   has the same concern): `match.storeSelector` holds if the new OR the old labels match it, and
 *   `exclude.storeSelector` only excludes if the new AND the old labels match it.
 */
import type { V1LabelSelector } from '@kubernetes/client-node';
import type { LabelRequirement } from '../shared/label-selector.js';
import { LabelSelectorError, labelSelectorRequirements, labelSelectorSelects, requirementHolds } from '../shared/label-selector.js';
import type { KVPolicySpec } from '../shared/schema/kvpolicy.js';

export type Labels = Record<string, string>;

/** The label the API server sets on every namespace (Kubernetes 1.21+). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`);
}

/** True when `name` equals one of `patterns` (`*` matches any run of characters). */
export function matchesNamePattern(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.includes('*') ? globToRegExp(pattern).test(name) : pattern === name));
}

/**
 * Kubernetes LabelSelector semantics (shared/label-selector.ts): matchLabels and every matchExpression must hold
 * (AND). An empty selector (`{}`) matches everything; an absent one is the caller's business (treated as
 * "everything" here too). A selector the API would refuse (validateLabelSelector refuses it at admission) matches
 * nothing: fail closed for match, which the caller documents.
 */
export function matchesLabelSelector(labels: Labels | undefined, selector: V1LabelSelector | undefined): boolean {
  return !selector || labelSelectorSelects(selector, labels);
}

/** True when the selector has at least one term (an empty selector matches everything). */
function selectorHasTerms(selector: V1LabelSelector | undefined): boolean {
  return !!selector && (Object.keys(selector.matchLabels ?? {}).length > 0 || (selector.matchExpressions ?? []).length > 0);
}

/** Problems with a selector the API server's schema would not catch (the CRD keeps selectors opaque). */
export function validateLabelSelector(selector: unknown, field: string): Array<{ field: string; message: string }> {
  if (selector === undefined) return [];
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) {
    return [{ field, message: 'must be a label selector object (matchLabels, matchExpressions)' }];
  }
  const errors: Array<{ field: string; message: string }> = [];
  const { matchLabels, matchExpressions, ...rest } = selector as Record<string, unknown>;
  for (const key of Object.keys(rest)) errors.push({ field: `${field}.${key}`, message: `unknown field "${key}"` });
  if (matchLabels !== undefined) {
    const entries = matchLabels && typeof matchLabels === 'object' && !Array.isArray(matchLabels) ? Object.entries(matchLabels) : null;
    if (!entries) errors.push({ field: `${field}.matchLabels`, message: 'must be a map of label keys to string values' });
    for (const [key, value] of entries ?? []) {
      if (typeof value !== 'string') errors.push({ field: `${field}.matchLabels.${key}`, message: 'must be a string' });
    }
  }
  if (matchExpressions !== undefined && !Array.isArray(matchExpressions)) {
    errors.push({ field: `${field}.matchExpressions`, message: 'must be a list of {key, operator, values}' });
  }
  (Array.isArray(matchExpressions) ? matchExpressions : []).forEach((requirement: unknown, index) => {
    errors.push(...validateRequirement(requirement, `${field}.matchExpressions[${index}]`));
  });
  // what the checks above leave to apimachinery (label key and value syntax), in its words with the selector
  if (errors.length === 0) {
    try {
      labelSelectorRequirements(selector);
    } catch (error) {
      if (!(error instanceof LabelSelectorError)) throw error;
      errors.push({ field, message: error.message });
    }
  }
  return errors;
}

function validateRequirement(requirement: unknown, field: string): Array<{ field: string; message: string }> {
  if (!requirement || typeof requirement !== 'object') return [{ field, message: 'must be an object {key, operator, values}' }];
  const { key, operator, values } = requirement as Record<string, unknown>;
  const errors: Array<{ field: string; message: string }> = [];
  if (typeof key !== 'string' || key === '') errors.push({ field: `${field}.key`, message: 'must be a non-empty string' });
  if (!SELECTOR_OPERATORS.includes(operator as (typeof SELECTOR_OPERATORS)[number])) {
    errors.push({ field: `${field}.operator`, message: `must be one of ${SELECTOR_OPERATORS.join(', ')}` });
  }
  const valueList = Array.isArray(values) ? values : values === undefined ? [] : null;
  if (valueList === null || valueList.some((value) => typeof value !== 'string')) {
    errors.push({ field: `${field}.values`, message: 'must be a list of strings' });
  } else if ((operator === 'In' || operator === 'NotIn') && valueList.length === 0) {
    errors.push({ field: `${field}.values`, message: `must not be empty with operator ${String(operator)}` });
  } else if ((operator === 'Exists' || operator === 'DoesNotExist') && valueList.length > 0) {
    errors.push({ field: `${field}.values`, message: `must be empty with operator ${String(operator)}` });
  }
  return errors;
}

/** What matching needs to know about one store. */
export interface MatchTarget {
  namespace: string;
  storeLabels: Labels | undefined;
  /** On UPDATE, the labels before the change (null/undefined on CREATE and in the audit). */
  oldStoreLabels?: Labels | null;
  /** Labels of the store's namespace, or undefined when the cache does not know the namespace. */
  namespaceLabels: Labels | undefined;
  /**
   * The store's labels are not known (a `/scale` request carries none, and the store cache has not seen the store):
   * then `match.storeSelector` is taken to match and `exclude.storeSelector` not to exclude, so a policy that might
   * cover the store applies (fail closed).
   */
  storeLabelsUnknown?: boolean;
}

/** The labels matching sees for a namespace: the cached ones, always with `kubernetes.io/metadata.name`. */
export function effectiveNamespaceLabels(namespace: string, cached: Labels | undefined): Labels {
  return { ...(cached ?? {}), [NAMESPACE_NAME_LABEL]: namespace };
}

/**
 * Why the policy does not cover the target, or undefined when it does. Reasons are for debug logs and tests.
 */
export function explainMismatch(spec: Pick<KVPolicySpec, 'match' | 'exclude'>, target: MatchTarget): string | undefined {
  const { match, exclude } = spec;
  const namespaceLabels = effectiveNamespaceLabels(target.namespace, target.namespaceLabels);
  if (match?.namespaces?.length && !matchesNamePattern(target.namespace, match.namespaces)) {
    return `namespace ${target.namespace} is not in match.namespaces`;
  }
  if (!matchesLabelSelector(namespaceLabels, match?.namespaceSelector)) {
    return `namespace ${target.namespace} labels do not match match.namespaceSelector`;
  }
  const hasOld = target.oldStoreLabels !== undefined && target.oldStoreLabels !== null;
  if (!target.storeLabelsUnknown && !matchesLabelSelector(target.storeLabels, match?.storeSelector)
    && !(hasOld && matchesLabelSelector(target.oldStoreLabels ?? undefined, match?.storeSelector))) {
    return 'store labels do not match match.storeSelector';
  }
  if (exclude?.namespaces?.length && matchesNamePattern(target.namespace, exclude.namespaces)) {
    return `namespace ${target.namespace} is in exclude.namespaces`;
  }
  if (!target.storeLabelsUnknown && selectorHasTerms(exclude?.storeSelector) && matchesLabelSelector(target.storeLabels, exclude?.storeSelector)
    && (!hasOld || matchesLabelSelector(target.oldStoreLabels ?? undefined, exclude?.storeSelector))) {
    return 'store labels match exclude.storeSelector';
  }
  return undefined;
}

/** True when the policy covers the target. */
export function policyMatches(spec: Pick<KVPolicySpec, 'match' | 'exclude'>, target: MatchTarget): boolean {
  return explainMismatch(spec, target) === undefined;
}

/** The value of label `key`, or undefined when absent; `namespace` answers `kubernetes.io/metadata.name` when set. */
function labelValue(labels: Labels | null | undefined, key: string, namespace?: string): string | undefined {
  if (namespace !== undefined && key === NAMESPACE_NAME_LABEL) return namespace;
  return labels && Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

type CompiledSelector = (labels: Labels | null | undefined, namespace?: string) => boolean;

/**
 * A LabelSelector turned into one predicate, its requirements read once. Same semantics as matchesLabelSelector.
 * Called per policy per request, so it allocates nothing.
 */
function compileLabelSelector(selector: V1LabelSelector | undefined): CompiledSelector | undefined {
  if (!selectorHasTerms(selector)) return undefined;
  let requirements: LabelRequirement[];
  try {
    requirements = labelSelectorRequirements(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) return () => false;
    throw error;
  }
  return (actualLabels, namespace) => {
    for (const requirement of requirements) {
      if (!requirementHolds(requirement, labelValue(actualLabels, requirement.key, namespace))) return false;
    }
    return true;
  };
}

function compileNamePatterns(patterns: readonly string[] | undefined): ((name: string) => boolean) | undefined {
  if (!patterns?.length) return undefined;
  const exact = new Set(patterns.filter((pattern) => !pattern.includes('*')));
  const globs = patterns.filter((pattern) => pattern.includes('*')).map(globToRegExp);
  return (name) => exact.has(name) || globs.some((glob) => glob.test(name));
}

/**
 * `policyMatches` for one policy, prepared once when the policy is cached: name patterns as sets and regular
 * expressions, selectors as predicates, and namespace labels looked up without copying them per request. Parts the
 * policy does not set cost nothing. Same semantics as explainMismatch (tested against it).
 */
export function compileMatcher(spec: Pick<KVPolicySpec, 'match' | 'exclude'>): (target: MatchTarget) => boolean {
  const { match, exclude } = spec;
  const inNamespaces = compileNamePatterns(match?.namespaces);
  const namespaceSelector = compileLabelSelector(match?.namespaceSelector);
  const storeSelector = compileLabelSelector(match?.storeSelector);
  const excludedNamespaces = compileNamePatterns(exclude?.namespaces);
  const excludeSelector = compileLabelSelector(exclude?.storeSelector);
  return (target) => {
    if (inNamespaces && !inNamespaces(target.namespace)) return false;
    if (namespaceSelector && !namespaceSelector(target.namespaceLabels, target.namespace)) return false;
    if (target.storeLabelsUnknown) return !excludedNamespaces?.(target.namespace);
    const hasOld = target.oldStoreLabels !== undefined && target.oldStoreLabels !== null;
    if (storeSelector && !storeSelector(target.storeLabels) && !(hasOld && storeSelector(target.oldStoreLabels))) return false;
    if (excludedNamespaces?.(target.namespace)) return false;
    if (excludeSelector && excludeSelector(target.storeLabels) && (!hasOld || excludeSelector(target.oldStoreLabels))) return false;
    return true;
  };
}
