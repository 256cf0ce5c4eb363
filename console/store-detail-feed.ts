/**
 * One store's live feed, for its page: the store itself, its pods, the Events about it and its pods, and its
 * KVBackups, each watched as the user. Changes within one tick are sent as one message per kind (a failover changes
 * several pods at once).
 */
import type { KubeClient, KubeObject } from '../kube/client.js';
import { ListWatchInformer } from '../kube/list-watch-informer.js';
import { paths } from '../kube/paths.js';
import { LABEL_INSTANCE, LABEL_ROLE } from '../shared/labels.js';
import type { Logger } from '../shared/logger.js';
import { API_GROUP_VERSION, KVBACKUP_PLURAL } from '../shared/api.js';
import type { KVBackup } from '../shared/schema/kvbackup.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import type { EventStream } from './event-stream.js';
import { listAccess } from './list-access.js';
import { backupRow, isBackupOf, sortBackups } from './store-backups.js';
import type { EventRow, PodRow } from './web/feed-rows.js';

export type { EventRow, PodRow } from './web/feed-rows.js';

interface PodObject extends KubeObject {
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type?: string; status?: string }>; containerStatuses?: Array<{ restartCount?: number }> };
}

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

const KINDS = ['store', 'pods', 'events', 'backups'] as const;
type Kind = (typeof KINDS)[number];

/** Pure. */
export function podRow(pod: PodObject): PodRow {
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Pending',
    ready: pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
    role: pod.metadata?.labels?.[LABEL_ROLE] ?? '',
    restarts: (pod.status?.containerStatuses ?? []).reduce((sum, container) => sum + (container.restartCount ?? 0), 0),
    podIP: pod.status?.podIP ?? '',
    deleting: Boolean(pod.metadata?.deletionTimestamp),
  };
}

/** Pure. */
export function eventRow(event: EventObject): EventRow {
  return {
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.message ?? '',
    object: `${event.involvedObject?.kind ?? ''}/${event.involvedObject?.name ?? ''}`,
    count: event.count ?? 1,
    time: event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? String(event.metadata?.creationTimestamp ?? ''),
  };
}

/** Events about the store or one of its pods (`<store>-<ordinal>`). Pure. */
export function isAboutStore(event: EventObject, storeName: string): boolean {
  const involved = event.involvedObject;
  if (involved?.kind === 'KVStore') return involved.name === storeName;
  return involved?.kind === 'Pod' && new RegExp(`^${storeName.replace(/[.]/g, '\\.')}-\\d+$`).test(involved.name ?? '');
}

export async function streamStoreDetail(client: KubeClient, stream: EventStream, target: { namespace: string; name: string }, logger: Logger): Promise<void> {
  const { namespace, name } = target;
  const stores = new ListWatchInformer<KVStore>(client, { name: 'console-store', path: paths.kvstores(namespace), logger });
  const pods = new ListWatchInformer<PodObject>(client, { name: 'console-pods', path: paths.core('pods', namespace), labelSelector: `${LABEL_INSTANCE}=${name}`, logger });
  const events = new ListWatchInformer<EventObject>(client, { name: 'console-events', path: paths.core('events', namespace), logger });
  const backupsPath = `/apis/${API_GROUP_VERSION}/namespaces/${namespace}/${KVBACKUP_PLURAL}`;
  const backupAccess = await listAccess(client, backupsPath).catch(() => 'forbidden' as const);
  const backups = backupAccess === 'allowed' ? new ListWatchInformer<KVBackup>(client, { name: 'console-backups', path: backupsPath, logger }) : undefined;
  const pending = new Set<Kind>();
  let flushQueued = false;
  let synced = false;
  const flush = () => {
    flushQueued = false;
    if (pending.has('store')) stream.send('store', stores.get(namespace, name) ?? null);
    if (pending.has('pods')) stream.send('pods', pods.list().map(podRow).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })));
    if (pending.has('backups')) {
      stream.send('backups', backups
        ? { available: true, rows: sortBackups(backups.list((backup) => isBackupOf(backup, name)).map(backupRow)) }
        : { available: false, reason: backupAccess === 'forbidden' ? 'you may not list KVBackups here (RBAC)' : 'this cluster does not serve KVBackups (CRD not installed)' });
    }
    if (pending.has('events')) {
      stream.send('events', events.list((event) => isAboutStore(event, name)).map(eventRow).sort((a, b) => a.time.localeCompare(b.time)));
    }
    pending.clear();
  };
  const mark = (kind: Kind) => {
    pending.add(kind);
    if (synced && !flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };
  stores.on((_event, store) => { if (store.metadata?.name === name) mark('store'); });
  pods.on(() => mark('pods'));
  events.on((_event, event) => { if (isAboutStore(event, name)) mark('events'); });
  backups?.on((_event, backup) => { if (isBackupOf(backup, name)) mark('backups'); });
  stream.onClose(() => {
    stores.stop();
    pods.stop();
    events.stop();
    backups?.stop();
  });
  await Promise.all([stores.start(), pods.start(), events.start(), backups?.start()]);
  synced = true;
  for (const kind of KINDS) pending.add(kind);
  flush();
}
