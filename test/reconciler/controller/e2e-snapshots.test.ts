/**
 * End to end on the sandbox: scheduled snapshots of a 2-pod persistent store run on the replica, are recorded in
 * status (lastSnapshot, SnapshotSucceeded), as an Event and in metrics, and the RDB file in the replica's volume holds
 * a key written through the master; with an s3:// dir the RDB is streamed to a SigV4 S3 server (wrong keys refused with
 * nothing written, retention). The cron is read every 2 s instead of every minute (ReconcilerOptions.snapshots).
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';
import { S3Client } from '../../../reconciler/backups/s3/s3-client.js';
import { paths } from '../../../kube/paths.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { readKeyFromRdb } from '../snapshots/rdb-reader.js';
import {
  E2E_ENGINE, getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor,
} from './e2e-helpers.js';

const STORE = 'snap';
const S3_KEYS = { accessKeyId: 'redwing-e2e', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };

function snapshotCondition(store: KVStore) {
  return store.status?.conditions?.find((condition) => condition.type === 'SnapshotSucceeded');
}

describe('reconciler end to end: scheduled snapshots', { timeout: 300_000 }, () => {
  const e2e = useReconcilerOnSandbox({ snapshots: { patternFor: () => '*/2 * * * * *', pollIntervalMs: 50, s3: { environment: {}, retryBaseMs: 5 } } });
  let s3: TestS3Server;
  const s3Client = () => new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: S3_KEYS });
  before(async () => { s3 = await startS3Server({ credentials: [S3_KEYS], buckets: ['backups'] }); });
  after(async () => { await s3?.close(); });

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
      if (!existsSync(rdbPath) || (await readKeyFromRdb(rdbPath, 'snapshot-key', E2E_ENGINE === 'valkey' ? 'valkey-server' : undefined)) !== 'snapshot-value') return undefined;
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
    assert.match(metrics, /redwing_snapshots_total\{namespace="default",store="snap",result="succeeded"\} [1-9]/);
  });

  it('an s3:// dir: wrong keys give S3AccessDenied and no object; right keys stream the RDB there, keep: 2 prunes', async () => {
    const { client } = e2e.cluster;
    const secret = (secretAccessKey: string) => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'snap-s3', namespace: 'default' },
      stringData: { AWS_ACCESS_KEY_ID: S3_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    });
    await client.create(paths.core('secrets', 'default'), secret('not-the-key'));
    await client.patch(paths.kvstore('default', STORE), { spec: { snapshot: {
      dir: 's3://backups/snap', keep: 2, s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: 'snap-s3' } },
    } } });
    const denied = await waitFor('S3AccessDenied', async () => {
      const current = await getStore(client, STORE);
      return snapshotCondition(current)?.reason === 'S3AccessDenied' ? current : undefined;
    }, 30_000, 250);
    assert.match(snapshotCondition(denied)?.message ?? '', /credentialsSecret.*untouched/);
    assert.deepEqual(await s3.keys('backups'), []);
    assert.equal(s3.openUploads(), 0);

    await client.patch(paths.coreObject('secrets', 'default', 'snap-s3'), { stringData: { AWS_SECRET_ACCESS_KEY: S3_KEYS.secretAccessKey } });
    const uploaded = await waitFor('three uploads, two kept', async () => {
      const current = await getStore(client, STORE);
      if (snapshotCondition(current)?.reason !== 'Uploaded') return undefined;
      const keys = await s3.keys('backups');
      return keys.length === 2 ? { current, keys } : undefined;
    }, 60_000, 250);
    const record = uploaded.current.status!.lastSnapshot!;
    assert.equal(record.result, 'Succeeded');
    assert.match(record.url ?? '', /^s3:\/\/backups\/snap\/default\/snap\/\d{8}T\d{9}Z\.rdb$/);
    assert.ok((record.sizeBytes ?? 0) > 0);
    // The newest object is a whole RDB holding the key written through the master.
    const file = join(e2e.cluster.sandbox.dir, 'downloaded.rdb');
    const newest = uploaded.keys.at(-1)!;
    await pipeline((await s3Client().getObject('backups', newest)).body, createWriteStream(file));
    assert.equal(await readKeyFromRdb(file, 'snapshot-key', E2E_ENGINE === 'valkey' ? 'valkey-server' : undefined), 'snapshot-value');
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
