/**
 * RBAC PolicyRule matching, as k8s.io/kubernetes/pkg/apis/rbac/v1 evaluation_helpers.go: `*` for verbs, groups and
 * resources, `<resource>/<subresource>` and a `*` resource with a subresource (any resource's subresource), resourceNames (an empty list allows every name),
 * and nonResourceURLs with a trailing `*` as a prefix match.
 */
import type { NonResourceAttributes, RequestAttributes, ResourceAttributes } from './request-attributes.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  return (rule.resources ?? []).some((r) => r === ALL || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((url) => url === ALL || url === path || (url.endsWith(ALL) && path.startsWith(url.slice(0, -1))));
}

function allowsResource(rule: PolicyRule, a: ResourceAttributes): boolean {
  return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
}

function allowsNonResource(rule: PolicyRule, a: NonResourceAttributes): boolean {
  return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
}

export function ruleAllows(rule: PolicyRule, attributes: RequestAttributes): boolean {
  return attributes.kind === 'resource' ? allowsResource(rule, attributes) : allowsNonResource(rule, attributes);
}

/** A rule from stored JSON; fields of the wrong type are dropped, as Go's decoder would refuse them earlier. */
export function parseRule(value: unknown): PolicyRule | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const strings = (field: unknown): string[] | undefined => (Array.isArray(field) ? field.filter((f): f is string => typeof f === 'string') : undefined);
  const verbs = strings(record.verbs);
  if (!verbs) return undefined;
  const rule: PolicyRule = { verbs };
  for (const key of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
    const list = strings(record[key]);
    if (list) rule[key] = list;
  }
  return rule;
}
