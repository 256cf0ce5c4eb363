/**
 * Whether a reconcile of a store with `spec.restore` must load the data first, as a pure function over the store and
 * its probed pods. The restore goes into the first pod (ordinal 0) while every pod is still a replica (booted fenced,
 * or left following the feed by an attempt that failed), before any master is elected: until it succeeds no election
 * runs, so the store takes no write on empty data and no pod syncs from an empty one. Dragonfly's replication
 * protocol is its own, and a TLS store's engine would dial the feed over TLS, which it does not serve yet: for both
 * the webhook refuses spec.restore; a store created around it gets the refusal once, in status, and starts empty.
 */
import type { KVStoreSpec, KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { ObservedPod } from './observed.js';

export type RestoreDecision =
  | { kind: 'none' }
  | { kind: 'unsupported'; message: string }
  | { kind: 'wait'; message: string }
  | { kind: 'run'; pod: ObservedPod };

export const RESTORE_UNSUPPORTED_MESSAGE = 'spec.restore: dragonfly stores cannot be restored by Redwing (its replication protocol differs); the store started empty';
export const RESTORE_TLS_UNSUPPORTED_MESSAGE = 'spec.restore: not supported with spec.tls.enabled yet (the engine replicates over TLS, which the restore feed does not serve); the store started empty';

export function planRestore(input: { spec: KVStoreSpec; status: KVStoreStatus | undefined; storeName: string; pods: ObservedPod[] }): RestoreDecision {
  const { spec, status } = input;
  if (!spec.restore || status?.restore?.result === 'Succeeded' || status?.master) return { kind: 'none' };
  const unsupported = spec.engine === 'dragonfly' ? RESTORE_UNSUPPORTED_MESSAGE : spec.tls?.enabled ? RESTORE_TLS_UNSUPPORTED_MESSAGE : undefined;
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
