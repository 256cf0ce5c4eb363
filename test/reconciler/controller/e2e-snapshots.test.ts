/**
 * End to end on the sandbox: scheduled snapshots of a 2-pod persistent store run on the replica, are recorded in
 * status (lastSnapshot, SnapshotSucceeded), as an Event and in metrics, and the RDB file in the replica's volume holds
 * a key written through the master. The cron is read every 2 s instead of every minute (ReconcilerOptions.snapshots).
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { readKeyFromRdb } from '../snapshots/rdb-reader.js';
import {
  getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor,
} from './e2e-helpers.js';

const STORE = 'snap';

function snapshotCondition(store: KVStore) {
  return store.status?.conditions?.find((condition) => condition.type === 'SnapshotSucceeded');
}

describe('reconciler end to end: scheduled snapshots', { timeout: 300_000 }, () => {
  const e2e = useReconcilerOnSandbox({ snapshots: { patternFor: () => '*/2 * * * * *', pollIntervalMs: 50 } });

  it('saves on the replica, records it, and the replica RDB holds a key written through the master', async () => {
    const { client } = e2e.cluster;
    await client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 2, persistence: { enabled: true }, snapshot: { cron: '* * * * *' } }));
    const { pods } = await waitFor(`${STORE} Ready`, async () => {
      const store = await getStore(client, STORE);
      if (store.status?.phase !== 'Ready' || store.status.readyReplicas !== 2) return undefined;
      const list = await listStorePods(client, STORE);
      return list.filter((pod) => pod.role).length === 2 ? { store, pods: list } : undefined;
    }, 180_000);
    const password = await storePassword(client, STORE);
    const replica = pods.find((pod) => pod.role === 'replica')!;
    const masterService = await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    assert.equal(await redisCommand(masterService.spec.clusterIP, password, 'SET', 'snapshot-key', 'snapshot-value'), 'OK');
    await waitFor('the key on the replica', async () => (await redisCommand(replica.ip!, password, 'GET', 'snapshot-key')) === 'snapshot-value', 15_000);

    const claim = await client.get<{ metadata: { uid: string } }>(paths.coreObject('persistentvolumeclaims', 'default', `data-${replica.name}`));
    const rdbPath = join(e2e.cluster.sandbox.dir, 'volumes', `pvc-${claim.metadata.uid}`, 'dump.rdb');
    // The key was written after the replica's full sync; only a BGSAVE on the replica after the write puts it in
    // this file (the save points are an hour / 5 min / 1 min away with this little traffic).
    const store = await waitFor('a successful snapshot on the replica whose file holds the key', async () => {
      const current = await getStore(client, STORE);
      if (current.status?.lastSnapshot?.result !== 'Succeeded' || current.status.lastSnapshot.pod !== replica.name) return undefined;
      if (!existsSync(rdbPath) || (await readKeyFromRdb(rdbPath, 'snapshot-key')) !== 'snapshot-value') return undefined;
      return current;
    }, 60_000, 500);
    const condition = snapshotCondition(store);
    assert.equal(condition?.status, 'True');
    assert.equal(condition?.reason, 'Saved');
    assert.match(condition?.message ?? '', new RegExp(replica.name));
    assert.ok(store.status!.lastSnapshot!.durationMs >= 0);
    assert.equal(store.status?.phase, 'Ready', 'the reconciler status stays intact alongside the snapshot fields');
    assert.equal(store.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');

    const events = await client.list<{ reason: string; type: string; message: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    const snapshotEvent = events.items.find((event) => event.reason === 'SnapshotSucceeded' && event.involvedObject.name === STORE);
    assert.ok(snapshotEvent, 'a SnapshotSucceeded Event on the store');
    assert.equal(snapshotEvent.type, 'Normal');

    const metrics = await (await fetch(`http://127.0.0.1:${e2e.reconciler.metricsPort}/metrics`)).text();
    assert.match(metrics, /redwing_snapshots_total\{namespace="default",name="snap",result="succeeded"\} [1-9]/);
  });

  it('an s3:// dir: the save runs, but SnapshotSucceeded is False with UploadNotImplemented', async () => {
    const { client } = e2e.cluster;
    await client.patch(paths.kvstore('default', STORE), { spec: { snapshot: { dir: 's3://backups/snap' } } });
    const store = await waitFor('UploadNotImplemented', async () => {
      const current = await getStore(client, STORE);
      return snapshotCondition(current)?.reason === 'UploadNotImplemented' ? current : undefined;
    }, 30_000, 250);
    assert.equal(snapshotCondition(store)?.status, 'False');
    assert.match(snapshotCondition(store)?.message ?? '', /spec\.snapshot\.dir s3:\/\/backups\/snap/);
    assert.equal(store.status?.lastSnapshot?.result, 'Failed');
  });

  it('removing the cron stops the runs', async () => {
    const { client } = e2e.cluster;
    assert.ok(e2e.reconciler.snapshots.scheduled().includes(`default/${STORE}`), 'scheduled before the cron is removed');
    await client.patch(paths.kvstore('default', STORE), { spec: { snapshot: { cron: null } } });
    // The scheduler's own state, rather than waiting for a run that does not come.
    await waitFor('the scheduler to drop the store', async () => !e2e.reconciler.snapshots.scheduled().includes(`default/${STORE}`), 10_000);
    assert.equal(e2e.reconciler.snapshots.cronOf(`default/${STORE}`), undefined);
  });
});
