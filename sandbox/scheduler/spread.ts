// Scoring, reduced to spreading: among the feasible nodes, the one with the fewest "siblings" of the pod (pods with the
// same controller, or matched by one of its anti-affinity selectors), round-robin among equals. Soft, like
// kube-scheduler's default PodTopologySpread and preferred anti-affinity: with more siblings than nodes, some share.
import type { V1Pod } from '@kubernetes/client-node';
import { selectorMatches } from '../controllers/selectors.js';

export function isSibling(pod: V1Pod, other: V1Pod): boolean {
  if (other.metadata?.uid === pod.metadata?.uid || other.metadata?.namespace !== pod.metadata?.namespace) return false;
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
  if (owner && other.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner)) return true;
  const terms = [
    ...(pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
  ];
  return terms.some((term) => selectorMatches(term.labelSelector, other.metadata?.labels));
}

/**
 * `nodeOf` gives where another pod runs (its spec.nodeName, or a binding not yet seen through the watch);
 * `start` rotates the tie-break so equal nodes take turns.
 */
export function pickSpreadNode(pod: V1Pod, nodes: string[], others: V1Pod[], nodeOf: (other: V1Pod) => string | undefined, start: number): string | undefined {
  if (nodes.length === 0) return undefined;
  const load = new Map(nodes.map((n) => [n, 0]));
  for (const other of others) {
    const on = nodeOf(other);
    if (on && load.has(on) && !other.metadata?.deletionTimestamp && isSibling(pod, other)) load.set(on, load.get(on)! + 1);
  }
  let best = nodes[start % nodes.length]!;
  for (let i = 0; i < nodes.length; i++) {
    const candidate = nodes[(start + i) % nodes.length]!;
    if (load.get(candidate)! < load.get(best)!) best = candidate;
  }
  return best;
}
