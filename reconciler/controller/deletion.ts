/**
 * Deletion of a store. First, a store whose snapshots go to s3:// gets its on-shutdown save there: the master's RDB
 * is uploaded while the pods still run (snapshots/shutdown-snapshot.ts; bounded, and a failure is a Warning Event,
 * never a store stuck in deletion). Owned objects go with the store through owner references (garbage collection); PVCs are not
 * owned (the StatefulSet's claim templates create them), so they survive unless `persistence.keepAfterDeletion` is
 * false, in which case they are deleted here; otherwise the password and TLS Secrets stay with them (kept-secrets.ts). Then the finalizer is removed and the API server lets the store go.
 */
import { KVSTORE_FINALIZER, LABEL_INSTANCE } from '../../shared/labels.js';
import { DATA_VOLUME_NAME } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import type { ControllerContext } from './context.js';
import { releaseKeptSecrets } from './kept-secrets.js';
import type { ResolvedStore } from '../desired/index.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeObject } from '../../kube/client.js';
import { runShutdownSnapshot } from '../snapshots/shutdown-snapshot.js';

/** The final upload before the finalizer goes; its status write changes the store, so it is read again after. */
async function shutdownSnapshot(context: ControllerContext, store: KVStore, resolved: ResolvedStore, signal: AbortSignal): Promise<KVStore | undefined> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const ran = await runShutdownSnapshot({
    client: context.client, informers: context.informers, events: context.events, logger: context.logger, loadCa: context.loadCa,
    probeTimeoutMs: context.probeTimeoutMs, credentialsOf: (key) => context.memories.get(key)?.credentials,
    isLeader: () => !signal.aborted, timeoutMs: context.shutdownSnapshot?.timeoutMs, s3: context.shutdownSnapshot?.s3,
  }, store, resolved.spec, signal);
  return ran ? context.client.getOptional<KVStore>(paths.kvstore(namespace, name)) : store;
}

/** Names of the store's PVCs among `claims`, by the StatefulSet naming scheme `data-<store>-<ordinal>`. Pure. */
export function storeClaimNames(storeName: string, claims: KubeObject[]): string[] {
  const prefix = `${DATA_VOLUME_NAME}-${storeName}-`;
  return claims
    .map((claim) => claim.metadata?.name ?? '')
    .filter((name) => name.startsWith(prefix) && /^(0|[1-9][0-9]*)$/.test(name.slice(prefix.length)));
}

/** `resolved` is the store resolved once by this reconcile (the defaulted spec decides whether PVCs stay). */
export async function finalizeDeletion(context: ControllerContext, deleted: KVStore, resolved: ResolvedStore, signal: AbortSignal = new AbortController().signal): Promise<void> {
  const { namespace, name } = deleted.metadata as { namespace: string; name: string };
  if (!(deleted.metadata?.finalizers ?? []).includes(KVSTORE_FINALIZER)) return;
  const store = await shutdownSnapshot(context, deleted, resolved, signal);
  if (!store) return;
  const finalizers = store.metadata?.finalizers ?? [];
  if (!finalizers.includes(KVSTORE_FINALIZER)) return;
  const keep = resolved.spec.persistence?.keepAfterDeletion !== false;
  if (!keep) {
    // List from the API server, not the cache: claims created by the StatefulSet may carry only the template labels.
    const claims = await context.client.list<KubeObject>(paths.core('persistentvolumeclaims', namespace), `${LABEL_INSTANCE}=${name}`);
    const byName = await context.client.list<KubeObject>(paths.core('persistentvolumeclaims', namespace));
    const names = new Set([...claims.items.map((claim) => claim.metadata?.name ?? ''), ...storeClaimNames(name, byName.items)]);
    for (const claim of names) {
      if (claim) await context.client.delete(paths.coreObject('persistentvolumeclaims', namespace, claim));
    }
    context.logger.info({ store: `${namespace}/${name}`, claims: [...names] }, 'deleted PVCs (keepAfterDeletion: false)');
  } else {
    // Before the finalizer goes, or garbage collection takes the password and certificate the kept data needs.
    const released = await releaseKeptSecrets(context.client, resolved);
    if (released.length > 0) context.logger.info({ store: `${namespace}/${name}`, secrets: released }, 'kept Secrets with the data (keepAfterDeletion)');
  }
  try {
    await context.client.patch(paths.kvstore(namespace, name), [
      { op: 'test', path: '/metadata/resourceVersion', value: store.metadata?.resourceVersion },
      { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((entry) => entry !== KVSTORE_FINALIZER) },
    ], 'json');
  } catch (error) {
    if (isNotFound(error)) return;
    if (isConflict(error) || /test/i.test(String(error))) throw new Error('store changed while removing the finalizer; retrying', { cause: error });
    throw error;
  }
}
