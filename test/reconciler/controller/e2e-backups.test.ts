/**
 * End to end on the sandbox: an on-demand KVBackup of a 2-pod store streams the replica's RDB to a SigV4 S3 server
 * (status phase, size, duration, URL, source pod, sha256; printer columns through kubectl; Events on the backup), a
 * backup with wrong keys fails with S3AccessDenied and leaves nothing, and a backup of a store that does not exist
 * yet waits Pending. Restores: a new store with spec.restore.backup, one with spec.restore.url of a backup taken while
 * a writer was running, and a TLS store come up with the backed-up keys on every pod (a consistent prefix of the
 * writer's sequence), status.restore and an Event; an unreadable object is Failed with no master elected.
 * Engine: REDWING_E2E_ENGINE (redis by default; valkey in the matrix run).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import type { KVBackup } from '../../../shared/schema/kvbackup.js';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';
import { S3Client } from '../../../reconciler/backups/s3/s3-client.js';
import { kvbackupPaths } from '../../../reconciler/controller/backup-controller.js';
import { withEngineConnection } from '../../../reconciler/replication/engine-connection.js';
import { client as redisClient } from '../../../harness/redis-processes.js';
import { readKeyFromRdb } from '../snapshots/rdb-reader.js';
import { E2E_ENGINE, getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor } from './e2e-helpers.js';

const STORE = 'bk';
const run = promisify(execFile);
const S3_KEYS = { accessKeyId: 'redwing-e2e', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };

function backup(name: string, spec: KVBackup['spec']): KVBackup {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVBackup', metadata: { name, namespace: 'default' }, spec };
}

describe('reconciler end to end: KVBackups to S3', { timeout: 300_000 }, () => {
  const e2e = useReconcilerOnSandbox({ backups: { s3: { environment: {}, retryBaseMs: 5 } }, restore: { feedHost: '127.0.0.1', environment: {} } });
  let s3: TestS3Server;
  before(async () => { s3 = await startS3Server({ credentials: [S3_KEYS], buckets: ['backups'] }); });
  after(async () => { await s3?.close(); });
  const readBackup = (name: string) => e2e.cluster.client.get<KVBackup>(kvbackupPaths.one('default', name));
  const finished = (name: string) => waitFor(`KVBackup ${name} to finish`, async () => {
    const current = await readBackup(name);
    return current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed' ? current : undefined;
  }, 60_000, 200);

  it('a backup waits for its store, then streams the replica RDB to <dir>/<ns>/<store>/<time>-<backup>.rdb', async () => {
    const { client } = e2e.cluster;
    await client.create(paths.core('secrets', 'default'), {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bk-s3', namespace: 'default' },
      stringData: { AWS_ACCESS_KEY_ID: S3_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_KEYS.secretAccessKey },
    });
    await client.create(kvbackupPaths.all('default'), backup('early', { store: STORE }));
    const pending = await waitFor('the backup Pending on its missing store', async () => {
      const current = await readBackup('early');
      return current.status?.phase === 'Pending' ? current : undefined;
    }, 20_000, 200);
    assert.equal(pending.status?.conditions?.[0]?.reason, 'StoreNotFound');

    await client.create(paths.kvstores('default'), kvstore(STORE, {
      replicas: 2, persistence: { enabled: true },
      snapshot: { dir: 's3://backups/team', s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: 'bk-s3' } } },
    }));
    const pods = await waitFor(`${STORE} Ready`, async () => {
      const store = await getStore(client, STORE);
      if (store.status?.phase !== 'Ready' || store.status.readyReplicas !== 2) return undefined;
      const list = await listStorePods(client, STORE);
      return list.filter((pod) => pod.role).length === 2 ? list : undefined;
    }, 180_000);
    const password = await storePassword(client, STORE);
    const masterService = await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    for (let index = 0; index < 50; index++) await redisCommand(masterService.spec.clusterIP, password, 'SET', `key:${index}`, `value:${index}`);
    const replica = pods.find((pod) => pod.role === 'replica')!;
    await waitFor('the writes on the replica', async () => (await redisCommand(replica.ip!, password, 'GET', 'key:49')) === 'value:49', 15_000);

    await client.create(kvbackupPaths.all('default'), backup('nightly', { store: STORE }));
    const done = await finished('nightly');
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.equal(done.status?.pod, replica.name);
    assert.match(done.status?.url ?? '', /^s3:\/\/backups\/team\/default\/bk\/\d{8}T\d{9}Z-nightly\.rdb$/);
    assert.ok((done.status?.sizeBytes ?? 0) > 0 && (done.status?.durationMs ?? -1) >= 0 && done.status?.startTime && done.status.completionTime);
    assert.equal(done.status?.conditions?.[0]?.type, 'Complete');
    assert.equal(done.status?.conditions?.[0]?.status, 'True');
    const key = (done.status!.url!).slice('s3://backups/'.length);
    const file = join(e2e.cluster.sandbox.dir, 'backup.rdb');
    const reader = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: S3_KEYS });
    await pipeline((await reader.getObject('backups', key)).body, createWriteStream(file));
    const bytes = await readFile(file);
    assert.equal(bytes.length, done.status?.sizeBytes);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), done.status?.sha256);
    assert.equal(await readKeyFromRdb(file, 'key:49', E2E_ENGINE === 'valkey' ? 'valkey-server' : undefined), 'value:49');

    // The printer columns, as kubectl shows them (wide: duration, pod, URL).
    const { stdout } = await run('kubectl', ['--kubeconfig', e2e.cluster.sandbox.kubeconfigPath, 'get', 'kvb', 'nightly', '-o', 'wide'], { timeout: 20_000 });
    const [header, row] = stdout.trim().split('\n');
    assert.deepEqual(header!.split(/\s{2,}/), ['NAME', 'STORE', 'PHASE', 'SIZE', 'DURATION', 'POD', 'URL', 'AGE']);
    assert.deepEqual(row!.split(/\s{2,}/).slice(0, 7), ['nightly', STORE, 'Succeeded', String(done.status?.sizeBytes), String(done.status?.durationMs), replica.name, done.status?.url]);

    // The early backup ran too, once its store had a master.
    assert.equal((await finished('early')).status?.phase, 'Succeeded');
    const events = await client.list<{ reason: string; type: string; involvedObject: { name: string; kind: string } }>(paths.core('events', 'default'));
    const reasons = events.items.filter((event) => event.involvedObject.kind === 'KVBackup' && event.involvedObject.name === 'nightly').map((event) => event.reason);
    assert.ok(reasons.includes('BackupStarted') && reasons.includes('BackupSucceeded'), reasons.join(','));
  });

  it('wrong keys: Failed with S3AccessDenied, no object, the store untouched', async () => {
    const { client } = e2e.cluster;
    await client.create(paths.core('secrets', 'default'), {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bk-wrong', namespace: 'default' },
      stringData: { AWS_ACCESS_KEY_ID: S3_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-key' },
    });
    const before = await s3.keys('backups');
    await client.create(kvbackupPaths.all('default'), backup('denied', { store: STORE, dir: 's3://backups/other', s3: { endpoint: s3.endpoint, forcePathStyle: true, credentialsSecret: { name: 'bk-wrong' } } }));
    const done = await finished('denied');
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(done.status?.conditions?.[0]?.reason, 'S3AccessDenied');
    assert.match(done.status?.conditions?.[0]?.message ?? '', /untouched/);
    assert.deepEqual(await s3.keys('backups'), before);
    assert.equal(s3.openUploads(), 0);
    assert.equal((await getStore(client, STORE)).status?.phase, 'Ready');
  });

  /** Every key and value on each pod of a store, once all its pods are Ready with roles. */
  async function storeContents(name: string, replicas: number): Promise<Array<Map<string, string>>> {
    const { client } = e2e.cluster;
    const pods = await waitFor(`${name} Ready with ${replicas} pods`, async () => {
      const store = await getStore(client, name);
      if (store.status?.phase !== 'Ready' || store.status.readyReplicas !== replicas) return undefined;
      const list = await listStorePods(client, name);
      return list.filter((pod) => pod.role).length === replicas ? list : undefined;
    }, 180_000, 250);
    const password = await storePassword(client, name);
    const master = pods.find((pod) => pod.role === 'master')!;
    const expected = Number(await redisCommand(master.ip!, password, 'DBSIZE'));
    // The replicas' first sync may still be on its way.
    await waitFor(`${name}'s replicas in sync`, async () => {
      for (const pod of pods) if (Number(await redisCommand(pod.ip!, password, 'DBSIZE')) !== expected) return false;
      return true;
    }, 30_000, 200);
    return Promise.all(pods.map(async (pod) => {
      const keys = (await redisCommand(pod.ip!, password, 'KEYS', '*')) as string[];
      const values = keys.length > 0 ? (await redisCommand(pod.ip!, password, 'MGET', ...keys)) as string[] : [];
      return new Map(keys.map((key, index) => [key, values[index]!]));
    }));
  }

  it('restore from a KVBackup: a new store starts with its keys on every pod, status.restore and an Event', async () => {
    const { client } = e2e.cluster;
    const source = await readBackup('nightly');
    await client.create(paths.kvstores('default'), kvstore('bk-restored', { replicas: 2, restore: { backup: 'nightly' } }));
    const contents = await storeContents('bk-restored', 2);
    for (const pod of contents) {
      assert.equal(pod.size, 50);
      for (let index = 0; index < 50; index++) assert.equal(pod.get(`key:${index}`), `value:${index}`);
    }
    const store = await getStore(client, 'bk-restored');
    assert.equal(store.status?.restore?.result, 'Succeeded');
    assert.equal(store.status?.restore?.url, source.status?.url);
    assert.equal(store.status?.restore?.sizeBytes, source.status?.sizeBytes);
    const events = await client.list<{ reason: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    assert.ok(events.items.some((event) => event.reason === 'Restored' && event.involvedObject.name === 'bk-restored'));
  });

  it('restore by URL of a backup taken under writes: a consistent prefix of the writes, the same on every pod', async () => {
    const { client } = e2e.cluster;
    const password = await storePassword(client, STORE);
    const masterService = await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    let written = 0;
    let writing = true;
    // One writer on one connection, in order: the snapshot (a fork) holds w:0..w:n-1 for some n and nothing after.
    const connection = redisClient({ host: masterService.spec.clusterIP, port: 6379, password });
    await connection.connect();
    const writer = (async () => {
      try {
        while (writing && written < 20_000) {
          await connection.set(`w:${written}`, String(written));
          written += 1;
        }
      } finally {
        connection.disconnect();
      }
    })();
    await waitFor('some writes', async () => written >= 200, 30_000, 20);
    await client.create(kvbackupPaths.all('default'), backup('under-writes', { store: STORE }));
    const done = await finished('under-writes');
    writing = false;
    await writer;
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    await client.create(paths.kvstores('default'), kvstore('bk-url', {
      replicas: 2, restore: { url: done.status!.url! },
      snapshot: { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: 'bk-s3' } } },
    }));
    const contents = await storeContents('bk-url', 2);
    const restoredWrites = [...contents[0]!.keys()].filter((key) => key.startsWith('w:')).length;
    assert.ok(restoredWrites >= 200 && restoredWrites <= written, `${restoredWrites} of ${written} writes restored`);
    for (const pod of contents) {
      assert.equal(pod.size, 50 + restoredWrites);
      for (let index = 0; index < restoredWrites; index++) assert.equal(pod.get(`w:${index}`), String(index), `w:${index}`);
      assert.deepEqual([...pod.entries()].sort(), [...contents[0]!.entries()].sort());
    }
    assert.equal((await getStore(client, 'bk-url')).status?.restore?.result, 'Succeeded');
  });

  it('a restore that cannot read its object: status.restore Failed with the S3 error, a RestoreFailed Event, no master elected', async () => {
    const { client } = e2e.cluster;
    await client.create(paths.kvstores('default'), kvstore('bk-missing', {
      replicas: 1, persistence: { enabled: false }, restore: { url: 's3://backups/team/no-such-object.rdb' },
      snapshot: { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: 'bk-s3' } } },
    }));
    const store = await waitFor('status.restore Failed', async () => {
      const current = await getStore(client, 'bk-missing');
      return current.status?.restore?.result === 'Failed' ? current : undefined;
    }, 60_000, 250);
    assert.match(store.status?.restore?.message ?? '', /NoSuchKey|404/);
    assert.match(store.status?.restore?.message ?? '', /takes no writes until then/);
    assert.equal(store.status?.master, undefined);
    assert.notEqual(store.status?.phase, 'Ready');
    const events = await client.list<{ reason: string; type: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    assert.ok(events.items.some((event) => event.reason === 'RestoreFailed' && event.type === 'Warning' && event.involvedObject.name === 'bk-missing'));
  });

  it('restore into a TLS store: the feed serves TLS with the operator certificate; both pods hold the keys', async () => {
    const { client } = e2e.cluster;
    await client.create(paths.kvstores('default'), kvstore('bk-tls', { replicas: 2, tls: { enabled: true }, restore: { backup: 'nightly' } }));
    const pods = await waitFor('bk-tls Ready with 2 pods', async () => {
      const store = await getStore(client, 'bk-tls');
      if (store.status?.phase !== 'Ready' || store.status.readyReplicas !== 2) return undefined;
      const list = await listStorePods(client, 'bk-tls');
      return list.filter((pod) => pod.role).length === 2 ? list : undefined;
    }, 180_000, 250);
    assert.equal((await getStore(client, 'bk-tls')).status?.restore?.result, 'Succeeded');
    const password = await storePassword(client, 'bk-tls');
    const secret = await client.get<{ data: Record<string, string> }>(paths.coreObject('secrets', 'default', 'bk-tls-tls'));
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
    for (const pod of pods) {
      const endpoint = { host: pod.ip!, port: 6379, password, tls: { ca, servername: 'localhost' } };
      const counted = await waitFor(`${pod.name} in sync`, async () => {
        const size = await withEngineConnection(endpoint, {}, (connection) => connection.call('DBSIZE'));
        return Number(size) === 50 ? size : undefined;
      }, 30_000, 200);
      assert.equal(Number(counted), 50);
      assert.equal(await withEngineConnection(endpoint, {}, (connection) => connection.call('GET', 'key:49')), 'value:49');
    }
  });
});
