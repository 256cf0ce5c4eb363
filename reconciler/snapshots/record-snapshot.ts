/**
 * Writes one run's outcome to the store's status subresource: `lastSnapshot` and the `SnapshotSucceeded` condition,
 * nothing else. Like the policy audit's `PolicyCompliant` (reconciler/audit/conditions.ts), the JSON Patch is guarded
 * by `test` operations, so a concurrent status write by the reconciler makes it fail instead of being clobbered; the
 * store is then read again and the patch rebuilt. The reconciler's own writes keep these fields (reconcile-store.ts
 * merges them from the live status), so neither writer loses the other's.
 */
import { API_GROUP_VERSION } from '../../shared/api.js';
import type { Logger } from '../../shared/logger.js';
import type { Condition, KVStore, SnapshotRecord } from '../../shared/schema/kvstore.js';
import { conditionPatch, type JsonPatchOperation } from '../audit/conditions.js';
import type { StoreEventRecorder } from '../controller/events.js';
import { isConflict, statusCodeOf } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import type { SnapshotOutcome } from './snapshot-outcome.js';

export const SNAPSHOT_FIELD_MANAGER = 'redwing-snapshots';
const MAX_WRITE_ATTEMPTS = 5;

export function snapshotStatusPatch(store: Pick<KVStore, 'status' | 'metadata'>, condition: Condition, record: SnapshotRecord): JsonPatchOperation[] {
  // `add` on an object member replaces it when present: no test needed, lastSnapshot has a single writer.
  return [...conditionPatch(store.status, store.metadata?.resourceVersion, condition), { op: 'add', path: '/status/lastSnapshot', value: record }];
}

export interface RecordSnapshotOptions {
  client: KubeClient;
  events: StoreEventRecorder;
  logger: Logger;
  /** Asked before each write: a reconciler that lost its lease writes nothing. */
  isLeader: () => boolean;
  /** The final snapshot of a store being deleted (shutdown-snapshot.ts): its status is still written. */
  deleting?: boolean;
}

/** The outcome is computed from the store as read (the previous condition keeps its transition time). */
export async function recordSnapshot(options: RecordSnapshotOptions, store: KVStore, outcome: (current: KVStore) => SnapshotOutcome): Promise<boolean> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  let current = store;
  let written: SnapshotOutcome | undefined;
  for (let attempt = 1; ; attempt += 1) {
    if (!options.isLeader()) return false;
    const result = outcome(current);
    try {
      await options.client.patch(`${paths.kvstore(namespace, name)}/status`, snapshotStatusPatch(current, result.condition, result.record), 'json', `?fieldManager=${SNAPSHOT_FIELD_MANAGER}`);
      written = result;
      break;
    } catch (error: unknown) {
      // 422 (a failed test op) or 409: someone wrote the status in between; read it again.
      const code = statusCodeOf(error);
      if ((!isConflict(error) && code !== 422) || attempt >= MAX_WRITE_ATTEMPTS) {
        options.logger.warn({ err: error, store: `${namespace}/${name}` }, 'writing the snapshot status failed');
        return false;
      }
      const fresh = await options.client.getOptional<KVStore>(paths.kvstore(namespace, name));
      if (!fresh || (fresh.metadata?.deletionTimestamp && !options.deleting)) return false;
      current = fresh;
    }
  }
  const involved: KubeObject = { apiVersion: API_GROUP_VERSION, kind: 'KVStore', metadata: current.metadata } as KubeObject;
  await options.events.record(involved, written.event);
  return true;
}
