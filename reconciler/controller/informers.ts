/**
 * The reconciler's informers: the KVStores and the objects they own, each cache trimmed to what the reconciler reads
 * (cache-trims.ts) and interned (intern-strings.ts), and the keys that map an owned object back to its store.
 * The list + watch machinery itself is kube/list-watch-informer.ts.
 */
import type { Logger } from '../../shared/logger.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../shared/labels.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import { ListWatchInformer, type InformerOptions } from '../../kube/list-watch-informer.js';
import { PerNamespaceInformer } from '../../kube/per-namespace-informer.js';
import { paths } from '../../kube/paths.js';
import { createInterner } from './intern-strings.js';
import { keepOwnManagedFields, trimPod, trimSecret, trimStore } from './cache-trims.js';

/** One table for every informer: the same label values and names recur across kinds. */
const sharedInterner = createInterner();

/**
 * An informer whose cached objects are trimmed by `options.transform` and then interned: JSON.parse makes a copy of
 * every string, and 500 stores repeat the same probe scripts, images and label values (intern-strings.ts).
 */
export function createReconcilerInformer<T extends KubeObject = KubeObject>(client: KubeClient, options: InformerOptions<T>): ListWatchInformer<T> {
  const trim = options.transform;
  return new ListWatchInformer<T>(client, { ...options, transform: (object) => sharedInterner(trim ? trim(object) : object) });
}

/** The store a pod, StatefulSet, Service, Secret or PVC belongs to, as a `namespace/name` key. */
export function storeKeyOf(object: KubeObject): string | undefined {
  const namespace = object.metadata?.namespace;
  if (!namespace) return undefined;
  const owner = object.metadata?.ownerReferences?.find((reference) => reference.kind === 'KVStore');
  if (owner) return `${namespace}/${owner.name}`;
  const instance = object.metadata?.labels?.[LABEL_INSTANCE];
  return instance ? `${namespace}/${instance}` : undefined;
}

export interface StoreInformers {
  stores: Informer;
  statefulSets: Informer;
  pods: Informer;
  services: Informer;
  /** Per namespace, so Secret access can be granted namespace by namespace (see manifests/rbac/reconciler.yaml). */
  secrets: PerNamespaceInformer;
  persistentVolumeClaims: Informer;
  configMaps: Informer;
  podDisruptionBudgets: Informer;
  all(): Informer[];
}

/** `namespace/store` of a store pod (its instance label), the pods informer's index. */
export function podStoreKey(object: KubeObject): string | undefined {
  const instance = object.metadata?.labels?.[LABEL_INSTANCE];
  return instance && object.metadata?.namespace ? `${object.metadata.namespace}/${instance}` : undefined;
}

export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

/** The informers one reconciler needs, cluster-wide or for one namespace. Owned kinds are filtered by label. */
export function createStoreInformers(client: KubeClient, namespace: string | undefined, logger?: Logger): StoreInformers {
  const make = (name: string, path: string, labelSelector?: string, transform: InformerOptions['transform'] = keepOwnManagedFields) =>
    createReconcilerInformer(client, { name, path, labelSelector, logger, transform });
  const informers = {
    stores: make('kvstores', paths.kvstores(namespace), undefined, trimStore),
    statefulSets: make('statefulsets', paths.statefulSets(namespace), MANAGED_SELECTOR),
    pods: createReconcilerInformer(client, { name: 'pods', path: paths.core('pods', namespace), labelSelector: MANAGED_SELECTOR, logger, transform: trimPod, indexBy: podStoreKey }),
    services: make('services', paths.core('services', namespace), MANAGED_SELECTOR),
    secrets: new PerNamespaceInformer((secretNamespace) => make(`secrets/${secretNamespace}`, paths.core('secrets', secretNamespace), MANAGED_SELECTOR, trimSecret)),
    persistentVolumeClaims: make('persistentvolumeclaims', paths.core('persistentvolumeclaims', namespace), MANAGED_SELECTOR, trimPod),
    configMaps: make('configmaps', paths.core('configmaps', namespace), MANAGED_SELECTOR),
    podDisruptionBudgets: make('poddisruptionbudgets', namespace ? `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets` : '/apis/policy/v1/poddisruptionbudgets', MANAGED_SELECTOR),
  };
  return { ...informers, all: () => Object.values(informers) };
}
