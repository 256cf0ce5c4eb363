/**
 * NetworkPolicy `S` (networkPolicy.enabled): the engine port (and the exporter's) admits pods of the store's own
 * namespace, of networkPolicy.allowedNamespaces, and of the operator's namespace, because the reconciler talks to
 * every engine directly (a policy that forgot the operator would silently disable failover). Egress stays open:
 * replicas dial their master, and the operator may run elsewhere.
 */
import type { V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { ENGINE_PORT, EXPORTER_PORT } from '../../shared/defaults.js';
import { storeSelectorLabels } from '../../shared/labels.js';
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

/** The label every namespace carries (Kubernetes 1.21+), used to admit namespaces by name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function buildResolvedNetworkPolicy(store: ResolvedStore): V1NetworkPolicy | undefined {
  if (!store.spec.networkPolicy?.enabled) return undefined;
  const otherNamespaces = [...new Set([store.operatorNamespace, ...(store.spec.networkPolicy.allowedNamespaces ?? [])])]
    .filter((namespace) => namespace !== store.namespace)
    .sort();
  const from: V1NetworkPolicyPeer[] = [
    { podSelector: {} },
    ...otherNamespaces.map((namespace) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } })),
  ];
  const ports: V1NetworkPolicyPort[] = [{ protocol: 'TCP', port: ENGINE_PORT }];
  if (store.spec.exporter?.enabled) ports.push({ protocol: 'TCP', port: EXPORTER_PORT });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedObjectMeta(store, storeObjectNames(store.name).networkPolicy),
    spec: {
      podSelector: { matchLabels: storeSelectorLabels(store.name) },
      policyTypes: ['Ingress'],
      ingress: [{ _from: from, ports }],
    },
  };
}

export function buildNetworkPolicy(store: KVStore, context: DesiredContext = {}): V1NetworkPolicy | undefined {
  return buildResolvedNetworkPolicy(resolveStore(store, context));
}
