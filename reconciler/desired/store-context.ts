/**
 * The common ground of every builder: the store defaulted (defensively: objects created while the webhook was down
 * still get every default), its identity, the owner reference and the metadata of the objects it owns.
 */
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_GROUP_VERSION, KVSTORE_KIND } from '../../shared/api.js';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import { storeLabels } from '../../shared/labels.js';
import type { Engine, KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { DEFAULT_OPERATOR_NAMESPACE } from './constants.js';

/** Facts the builders need that are not in the KVStore. */
export interface DesiredContext {
  /** Namespace the reconciler runs in; admitted by the NetworkPolicy. Default redwing-system. */
  operatorNamespace?: string;
}

export interface ResolvedStore {
  name: string;
  namespace: string;
  uid: string;
  engine: Engine;
  /** The spec with every default applied. */
  spec: KVStoreSpec;
  operatorNamespace: string;
}

/** Defaults the store and checks the identity fields every owned object needs. Throws when they are missing. */
export function resolveStore(store: KVStore, context: DesiredContext = {}): ResolvedStore {
  const { name, namespace, uid } = store.metadata ?? {};
  if (!name || !namespace || !uid) {
    throw new Error(`KVStore ${namespace ?? '?'}/${name ?? '?'} has no name, namespace or uid; cannot build owned objects`);
  }
  const spec = applyKVStoreDefaults(store.spec, name);
  return {
    name,
    namespace,
    uid,
    engine: spec.engine ?? 'redis',
    spec,
    operatorNamespace: context.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE,
  };
}

/** Controller owner reference: garbage collection removes the object with the store, and `blockOwnerDeletion`
 * keeps a foreground deletion of the store waiting for it. */
export function ownerReference(store: ResolvedStore): V1OwnerReference {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KVSTORE_KIND,
    name: store.name,
    uid: store.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of an owned object: name, namespace, the store labels and the owner reference. */
export function ownedObjectMeta(store: ResolvedStore, name: string, annotations?: Record<string, string>): V1ObjectMeta {
  const meta: V1ObjectMeta = {
    name,
    namespace: store.namespace,
    labels: storeLabels(store.name),
    ownerReferences: [ownerReference(store)],
  };
  if (annotations && Object.keys(annotations).length > 0) meta.annotations = { ...annotations };
  return meta;
}
