// Label selectors and owner references, as the sandbox's controllers, scheduler and proxy match objects.
import type { KubernetesObject, V1LabelSelector, V1OwnerReference } from '@kubernetes/client-node';
import { labelSelectorSelects } from '../../shared/label-selector.js';

/** A LabelSelector as the controllers read one: absent selects nothing, `{}` everything, an invalid one nothing. */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  return !!selector && labelSelectorSelects(selector, labels);
}

/** Service-style selector (a plain map); an empty or absent one selects nothing. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function controllerOf(obj: KubernetesObject): V1OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}
