/**
 * The store list's live feed: a watch of every KVStore the user may list (all namespaces) and of the namespace
 * claims, as the user. The first message is the whole list; then one message per changed row. Every open list page
 * has its own watches, so each sees exactly what its user's RBAC allows.
 */
import type { KubeClient } from '../kube/client.js';
import type { Informer } from '../kube/informer.js';
import { objectKey } from '../kube/informer.js';
import { ListWatchInformer } from '../kube/list-watch-informer.js';
import { paths } from '../kube/paths.js';
import type { Logger } from '../shared/logger.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import type { EventStream } from './event-stream.js';
import { listAccess } from './list-access.js';
import { NAMESPACE_CLAIM_LABEL, summarizeStore, type ClaimLease } from './store-summary.js';
import { errorMessage } from '../shared/error-message.js';

export async function streamStoreList(client: KubeClient, stream: EventStream, logger: Logger): Promise<void> {
  const claimSelector = `${NAMESPACE_CLAIM_LABEL}=true`;
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
  let claims: Informer<ClaimLease> | undefined;
  if ((await listAccess(client, paths.allLeases(), claimSelector).catch(() => 'forbidden')) === 'allowed') {
    claims = new ListWatchInformer<ClaimLease>(client, { name: 'console-claims', path: paths.allLeases(), labelSelector: claimSelector, logger });
  }
  const claimList = () => claims?.list();
  let synced = false;
  stores.on((event, store) => {
    if (!synced) return;
    if (event === 'delete') stream.send('remove', { key: objectKey(store) });
    else stream.send('row', summarizeStore(store, claimList(), Date.now()));
  });
  // A claim that appears or goes changes the manager of every store in its namespace.
  claims?.on((_event, lease) => {
    if (!synced) return;
    const namespace = lease.metadata?.namespace;
    for (const store of stores.list((candidate) => candidate.metadata?.namespace === namespace)) {
      stream.send('row', summarizeStore(store, claimList(), Date.now()));
    }
  });
  stream.onClose(() => {
    stores.stop();
    claims?.stop();
  });
  await Promise.all([stores.start(), claims?.start()]);
  synced = true;
  const rows = stores.list().map((store) => summarizeStore(store, claimList(), Date.now()));
  stream.send('snapshot', { rows, managersKnown: claims !== undefined });
}
