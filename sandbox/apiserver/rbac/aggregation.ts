/**
 * ClusterRole aggregation, as kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an
 * `aggregationRule` gets the rules of every other ClusterRole its label selectors match, taken in name order,
 * each rule once.
 */
import { labelSelectorRequirements, matchesLabels } from '../selectors.js';
import type { KubeObject } from '../types.js';
import { isJsonObject, jsonEqual } from '../types.js';

function selectorsOf(role: KubeObject): unknown[] | undefined {
  const rule = role.aggregationRule;
  if (!isJsonObject(rule)) return undefined;
  return Array.isArray(rule.clusterRoleSelectors) ? rule.clusterRoleSelectors : [];
}

/** The rules an aggregated ClusterRole should hold, or undefined when the role does not aggregate. */
export function aggregatedRules(role: KubeObject, clusterRoles: KubeObject[]): unknown[] | undefined {
  const selectors = selectorsOf(role);
  if (!selectors) return undefined;
  const rules: unknown[] = [];
  const byName = [...clusterRoles].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const selector of selectors) {
    const requirements = labelSelectorRequirements(selector);
    for (const other of byName) {
      if (other.metadata.name === role.metadata.name || !matchesLabels(requirements, other.metadata.labels)) continue;
      for (const rule of Array.isArray(other.rules) ? other.rules : []) {
        if (!rules.some((r) => jsonEqual(r, rule))) rules.push(rule);
      }
    }
  }
  return rules;
}

/** The aggregated ClusterRoles whose stored rules are out of date, with the rules they should have. */
export function staleAggregations(clusterRoles: KubeObject[]): { role: KubeObject; rules: unknown[] }[] {
  const stale: { role: KubeObject; rules: unknown[] }[] = [];
  for (const role of clusterRoles) {
    const rules = aggregatedRules(role, clusterRoles);
    if (rules && !jsonEqual(rules, Array.isArray(role.rules) ? role.rules : [])) stale.push({ role, rules });
  }
  return stale;
}
