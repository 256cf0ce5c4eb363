/**
 * Data and credentials kept together. With `persistence.keepAfterDeletion` (the default) the PVCs outlive the store,
 * and so do the Secrets the operator made for it, the password `S-auth` and the certificate `S-tls`: a store
 * re-created with the same name then serves its old data under the old password and certificate, and no client
 * breaks. Deletion releases them (drops the store's owner reference, so garbage collection leaves them); the next
 * store of that name adopts them (adds its owner reference back, so a later deletion without keepAfterDeletion takes
 * them). Secrets the user named are never owned by the store, so neither step touches them.
 */
import { KVSTORE_KIND } from '../../shared/api.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../shared/labels.js';
import { storeObjectNames } from '../../shared/names.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import { ownerReference, type ResolvedStore } from '../desired/store-context.js';
import { readStoreSecret, type SecretObject } from './store-secrets.js';

/** The operator-made Secrets that go with the data: the defaulted password and TLS Secrets the spec uses. Pure. */
export function keptSecretNames(store: ResolvedStore): string[] {
  const names = storeObjectNames(store.name);
  const { spec } = store;
  const result: string[] = [];
  if (spec.authentication?.enabled !== false && spec.authentication?.passwordFromSecret?.name === names.authSecret) result.push(names.authSecret);
  if (spec.tls?.enabled && (spec.tls.secretName ?? names.tlsSecret) === names.tlsSecret) result.push(names.tlsSecret);
  return result;
}

type OwnerReference = NonNullable<NonNullable<SecretObject['metadata']>['ownerReferences']>[number];

function ownerReferencesOf(secret: SecretObject): OwnerReference[] {
  return secret.metadata?.ownerReferences ?? [];
}

/** The owner references without the store's, or undefined when the store does not own the Secret. Pure. */
export function releasedOwnerReferences(secret: SecretObject, storeUid: string): OwnerReference[] | undefined {
  const references = ownerReferencesOf(secret);
  const rest = references.filter((reference) => reference.uid !== storeUid);
  return rest.length === references.length ? undefined : rest;
}

/**
 * Whether `secret` is one a deleted store of this name left behind: labelled for the store by the operator and owned
 * by no KVStore. Pure.
 */
export function isLeftBehind(secret: SecretObject, storeName: string): boolean {
  const labels = secret.metadata?.labels ?? {};
  if (labels[LABEL_INSTANCE] !== storeName || labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) return false;
  return !ownerReferencesOf(secret).some((reference) => reference.kind === KVSTORE_KIND);
}

/** Before the finalizer goes: drops the store's owner reference from its kept Secrets. Returns the released names. */
export async function releaseKeptSecrets(client: KubeClient, store: ResolvedStore): Promise<string[]> {
  const released: string[] = [];
  for (const name of keptSecretNames(store)) {
    const secret = await client.getOptional<SecretObject>(paths.coreObject('secrets', store.namespace, name));
    const rest = secret && releasedOwnerReferences(secret, store.uid);
    if (!rest) continue;
    // Merge patch replaces the whole list; the resourceVersion makes a concurrent change fail instead of being lost.
    await client.patch(paths.coreObject('secrets', store.namespace, name), {
      metadata: { ownerReferences: rest.length > 0 ? rest : null, resourceVersion: secret.metadata?.resourceVersion },
    });
    released.push(name);
  }
  return released;
}

/** A re-created store takes back the Secrets its predecessor left. Returns the adopted names. */
export async function adoptKeptSecrets(client: KubeClient, secrets: Informer | undefined, store: ResolvedStore): Promise<string[]> {
  const adopted: string[] = [];
  for (const name of keptSecretNames(store)) {
    const secret = await readStoreSecret(client, secrets, store.namespace, name);
    if (!secret || !isLeftBehind(secret, store.name)) continue;
    await client.patch(paths.coreObject('secrets', store.namespace, name), {
      metadata: { ownerReferences: [...ownerReferencesOf(secret), ownerReference(store)], resourceVersion: secret.metadata?.resourceVersion },
    });
    adopted.push(name);
  }
  return adopted;
}
