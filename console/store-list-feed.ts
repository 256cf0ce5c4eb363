/**
 * The store list's live feed: a watch of every KVStore the user may list (all namespaces), of the namespace claims and
 * of the cluster-wide reconciler's leader Lease, as the user. The first message is the whole list; then one message per
 * changed row. Every open list page has its own watches, so each sees exactly what its user's RBAC allows.
 */
import type { KubeClient } from '../kube/client.js';
import { objectKey } from '../kube/informer.js';
import { ListWatchInformer } from '../kube/list-watch-informer.js';
import { paths } from '../kube/paths.js';
import { errorMessage } from '../shared/error-message.js';
import type { Logger } from '../shared/logger.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import type { EventStream } from './event-stream.js';
import { listAccess } from './list-access.js';
import { LEADER_LEASE_NAME, NAMESPACE_CLAIM_LABEL, OPERATOR_NAMESPACE, summarizeStore, type ClaimLease, type StoreRow } from './store-summary.js';

/** An informer of `path` when the user may list it, else undefined (the page then shows the manager as unknown). */
async function optionalInformer(client: KubeClient, name: string, path: string, logger: Logger, labelSelector?: string): Promise<ListWatchInformer<ClaimLease> | undefined> {
  const access = await listAccess(client, path, labelSelector).catch(() => 'forbidden');
  return access === 'allowed' ? new ListWatchInformer<ClaimLease>(client, { name, path, labelSelector, logger }) : undefined;
}

export async function streamStoreList(client: KubeClient, stream: EventStream, logger: Logger): Promise<void> {
  try {
    const access = await listAccess(client, paths.kvstores());
    if (access !== 'allowed') {
      stream.send('failure', {
        message: access === 'forbidden' ? 'You may not list KVStores in all namespaces (RBAC).' : 'This cluster does not serve KVStores: the Redwing CRDs are not installed.',
      });
      stream.close();
      return;
    }
  } catch (error) {
    stream.send('failure', { message: errorMessage(error) });
    stream.close();
    return;
  }
  const stores = new ListWatchInformer<KVStore>(client, { name: 'console-stores', path: paths.kvstores(), logger });
  const [claims, leases] = await Promise.all([
    optionalInformer(client, 'console-claims', paths.allLeases(), logger, `${NAMESPACE_CLAIM_LABEL}=true`),
    optionalInformer(client, 'console-leader', paths.leases(OPERATOR_NAMESPACE), logger),
  ]);
  const rowOf = (store: KVStore): StoreRow => summarizeStore(store, claims?.list(), Date.now(), leases?.get(OPERATOR_NAMESPACE, LEADER_LEASE_NAME));
  // The manager last sent per row: Leases are renewed every few seconds, and only a change of manager is news.
  const sentManagers = new Map<string, string>();
  const send = (row: StoreRow) => {
    sentManagers.set(row.key, JSON.stringify(row.managedBy));
    stream.send('row', row);
  };
  let synced = false;
  stores.on((event, store) => {
    if (!synced) return;
    if (event === 'delete') {
      sentManagers.delete(objectKey(store));
      stream.send('remove', { key: objectKey(store) });
    } else {
      send(rowOf(store));
    }
  });
  const managersMayHaveChanged = () => {
    if (!synced) return;
    for (const store of stores.list()) {
      const row = rowOf(store);
      if (sentManagers.get(row.key) !== JSON.stringify(row.managedBy)) send(row);
    }
  };
  claims?.on(managersMayHaveChanged);
  leases?.on(managersMayHaveChanged);
  stream.onClose(() => {
    stores.stop();
    claims?.stop();
    leases?.stop();
  });
  await Promise.all([stores.start(), claims?.start(), leases?.start()]);
  synced = true;
  const rows = stores.list().map(rowOf);
  for (const row of rows) sentManagers.set(row.key, JSON.stringify(row.managedBy));
  stream.send('snapshot', { rows, managersKnown: claims !== undefined });
}
