/**
 * The operator's record of the password a store's pods accept: Secret `S-auth-current` (keys `password` and
 * `previous`), owned by the KVStore so it goes with it.
 *
 * Why it exists: rotation is live (CONFIG SET on every pod, no restart), so after the user changes the password
 * Secret the pods still accept only the old password until the operator rotates them. An operator that was down
 * during the change no longer knows the old one, and the Secret only holds the new one. The operator therefore
 * records what the pods accept after every successful rotation, in a place only it writes, and tries that record
 * when the Secret's password is refused. `previous` keeps the value before, for a pod that missed the last
 * rotation (unreachable then, without a restart since).
 *
 * Why a Secret of its own rather than an annotation or the operator's memory: it is a password (Secret RBAC and
 * encryption at rest apply), it survives operator restarts and leader changes, and it lives in the store's
 * namespace, so a namespaced reconciler can write it with the rights it already has.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { ownedObjectMeta, resolveStore, type DesiredContext } from './store-context.js';

export const PASSWORD_RECORD_KEY = 'password';
export const PREVIOUS_PASSWORD_RECORD_KEY = 'previous';

export function passwordRecordName(storeName: string): string {
  return `${storeName}-auth-current`;
}

export function buildPasswordRecord(store: KVStore, password: string, previous: string | undefined, context: DesiredContext = {}): V1Secret {
  const resolved = resolveStore(store, context);
  const data: Record<string, string> = { [PASSWORD_RECORD_KEY]: Buffer.from(password).toString('base64') };
  if (previous !== undefined && previous !== password) data[PREVIOUS_PASSWORD_RECORD_KEY] = Buffer.from(previous).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: ownedObjectMeta(resolved, passwordRecordName(resolved.name)),
    data,
  };
}
