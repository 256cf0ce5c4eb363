/**
 * Whether a reconcile of a store with `spec.restore` must load the data first, as a pure function over the store and
 * its probed pods. The restore goes into the first pod (ordinal 0) while every pod is still a replica (booted fenced,
 * or left following the feed by an attempt that failed), before any master is elected: until it succeeds no election
 * runs, so the store takes no write on empty data and no pod syncs from an empty one. Dragonfly's replication
 * protocol is its own, and a TLS store whose engines trust only the user's CA would refuse the feed's certificate:
 * the refusal is recorded once, in status (the webhook refuses dragonfly already), and the store starts empty.
 */
import type { KVStoreSpec, KVStoreStatus } from '../../shared/schema/kvstore.js';
import { storeObjectNames } from '../../shared/names.js';
import type { ObservedPod } from './observed.js';

export type RestoreDecision =
  | { kind: 'none' }
  | { kind: 'unsupported'; message: string }
  | { kind: 'wait'; message: string }
  | { kind: 'run'; pod: ObservedPod };

export const RESTORE_UNSUPPORTED_MESSAGE = 'spec.restore: dragonfly stores cannot be restored by Redwing (its replication protocol differs); the store started empty';
export const RESTORE_TLS_UNSUPPORTED_MESSAGE = 'spec.restore: not supported with spec.tls.secretName and no clientCaSecretName (the engines trust only that CA, not the operator\'s certificate that serves the restore); the store started empty';

/**
 * The engines trust the operator's certificate: the operator issued theirs (the default Secret name), or a client CA
 * is set, whose bundle holds the operator CA. With the user's own serving certificate and no client CA they trust
 * only the user's CA.
 */
export function restoreTlsSupported(spec: KVStoreSpec, storeName: string): boolean {
  if (!spec.tls?.enabled || spec.tls.clientCaSecretName !== undefined) return true;
  return (spec.tls.secretName ?? storeObjectNames(storeName).tlsSecret) === storeObjectNames(storeName).tlsSecret;
}

export function planRestore(input: { spec: KVStoreSpec; status: KVStoreStatus | undefined; storeName: string; pods: ObservedPod[] }): RestoreDecision {
  const { spec, status } = input;
  if (!spec.restore || status?.restore?.result === 'Succeeded' || status?.master) return { kind: 'none' };
  const unsupported = spec.engine === 'dragonfly' ? RESTORE_UNSUPPORTED_MESSAGE : !restoreTlsSupported(spec, input.storeName) ? RESTORE_TLS_UNSUPPORTED_MESSAGE : undefined;
  if (unsupported) return status?.restore?.result === 'Failed' ? { kind: 'none' } : { kind: 'unsupported', message: unsupported };
  const target = input.pods.find((pod) => pod.ordinal === 0);
  const name = `${input.storeName}-0`;
  if (!target || target.terminating || !target.ip || !target.engine) return { kind: 'wait', message: `restore: waiting for ${name} to answer` };
  if (target.engine.role !== 'replica' || target.engine.loading === true) {
    // A master here means some write path bypassed the wait: never overwrite its data.
    return target.engine.role === 'master'
      ? { kind: 'wait', message: `restore: ${name} is already a master; refusing to overwrite it (delete the store's PVCs and pods to start over)` }
      : { kind: 'wait', message: `restore: waiting for ${name} to finish loading` };
  }
  return { kind: 'run', pod: target };
}
