// Which nodes a pod may go to, as kube-scheduler's filter plugins decide it (NodeUnschedulable, TaintToleration,
// NodeAffinity with nodeSelector, and the node's Ready condition); pure functions over API objects.
import type { V1Node, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';

export function nodeIsReady(node: V1Node): boolean {
  return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** The pod tolerates every NoSchedule/NoExecute taint of the node (PreferNoSchedule only scores). */
export function toleratesTaints(pod: V1Pod, node: V1Node): boolean {
  return (node.spec?.taints ?? []).every((taint) => taint.effect === 'PreferNoSchedule'
    || (pod.spec?.tolerations ?? []).some((toleration) => tolerates(toleration, taint)));
}

function requirementMatches(requirement: V1NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = labels[requirement.key];
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In': return has && values.includes(value!);
    case 'NotIn': return !has || !values.includes(value!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number(value) > Number(values[0]);
    case 'Lt': return has && Number(value) < Number(values[0]);
    default: return false;
  }
}

/** Node selector terms are ORed, the requirements of one term ANDed; `matchFields` supports metadata.name. */
export function nodeSelectorTermsMatch(terms: V1NodeSelectorTerm[], node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const fields = { 'metadata.name': node.metadata?.name ?? '' };
  return terms.some((term) => (term.matchExpressions?.length || term.matchFields?.length)
    && (term.matchExpressions ?? []).every((r) => requirementMatches(r, labels))
    && (term.matchFields ?? []).every((r) => requirementMatches(r, fields)));
}

/** spec.nodeSelector and required node affinity. */
export function matchesNodeAffinity(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  if (!Object.entries(pod.spec?.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || nodeSelectorTermsMatch(required.nodeSelectorTerms, node);
}

/** Nodes that pass every filter, and why the others do not (kube-scheduler's FailedScheduling message). */
export function feasibleNodes(pod: V1Pod, nodes: V1Node[]): { feasible: V1Node[]; reasons: Map<string, number> } {
  const reasons = new Map<string, number>();
  const fail = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  const feasible: V1Node[] = [];
  for (const node of nodes) {
    if (node.spec?.unschedulable) fail("node(s) were unschedulable");
    else if (!toleratesTaints(pod, node)) fail("node(s) had untolerated taint");
    else if (!nodeIsReady(node)) fail("node(s) were not ready");
    else if (!matchesNodeAffinity(pod, node)) fail("node(s) didn't match Pod's node affinity/selector");
    else feasible.push(node);
  }
  return { feasible, reasons };
}

/** "0/3 nodes are available: 3 node(s) had untolerated taint." */
export function unschedulableMessage(total: number, reasons: Map<string, number>): string {
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}
