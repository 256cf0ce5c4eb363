/**
 * End to end on the sandbox: the on-shutdown save of a store whose snapshot.dir is s3://. Deleting the store uploads
 * its master's RDB as `<dir>/<ns>/<store>/<time>.shutdown.rdb` before the store goes (a ShutdownSnapshotSucceeded
 * Event), and that object restores (spec.restore.url) into a new store with the same keys, including one written just
 * before the deletion. With wrong S3 keys the deletion still completes within the bound, no object is left, and a
 * Warning Event says why and what the user can do; an S3 endpoint that never answers holds the deletion no longer than
 * the bound (8 s here, 5 min by default). Engine: REDWING_E2E_ENGINE (redis by default).
 */
import { strict as assert } from 'node:assert';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';
import { getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor } from './e2e-helpers.js';

const S3_KEYS = { accessKeyId: 'redwing-e2e', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };
const BOUND_MS = 8000;

interface EventItem { reason: string; type: string; message: string; involvedObject: { name: string; kind: string } }

describe('reconciler end to end: the on-shutdown save goes to S3 when a store is deleted', { timeout: 300_000 }, () => {
  const e2e = useReconcilerOnSandbox({
    snapshots: { shutdownTimeoutMs: BOUND_MS, s3: { environment: {}, retryBaseMs: 5 } },
    restore: { feedHost: '127.0.0.1', environment: {} },
  });
  let s3: TestS3Server;
  before(async () => { s3 = await startS3Server({ credentials: [S3_KEYS], buckets: ['backups'] }); });
  after(async () => { await s3?.close(); });

  const s3Settings = (secret: string) => ({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentialsSecret: { name: secret } });

  async function secret(name: string, secretAccessKey: string): Promise<void> {
    await e2e.cluster.client.create(paths.core('secrets', 'default'), {
      apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' },
      stringData: { AWS_ACCESS_KEY_ID: S3_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    });
  }

  /** A 1-pod store Ready with `count` keys written through its master; returns its password and master address. */
  async function storeWithData(name: string, spec: KVStore['spec'], count: number): Promise<{ password: string; ip: string }> {
    const { client } = e2e.cluster;
    await client.create(paths.kvstores('default'), kvstore(name, spec));
    const pods = await waitFor(`${name} Ready`, async () => {
      const store = await getStore(client, name);
      if (store.status?.phase !== 'Ready' || !store.status.master) return undefined;
      const list = await listStorePods(client, name);
      return list.some((pod) => pod.role === 'master') ? list : undefined;
    }, 120_000, 200);
    const password = await storePassword(client, name);
    const ip = pods.find((pod) => pod.role === 'master')!.ip!;
    for (let index = 0; index < count; index++) await redisCommand(ip, password, 'SET', `key:${index}`, `value:${index}`);
    return { password, ip };
  }

  /** Deletes the store and waits until the API server no longer has it; the time that took. */
  async function deleteAndWaitGone(name: string): Promise<number> {
    const { client } = e2e.cluster;
    const startedAt = performance.now();
    await client.delete(paths.kvstore('default', name));
    await waitFor(`${name} gone`, async () => (await client.getOptional(paths.kvstore('default', name))) === undefined, 120_000, 100);
    return performance.now() - startedAt;
  }

  async function storeEvents(name: string): Promise<EventItem[]> {
    const events = await e2e.cluster.client.list<EventItem>(paths.core('events', 'default'));
    return events.items.filter((event) => event.involvedObject.kind === 'KVStore' && event.involvedObject.name === name);
  }

  it('deleting a store uploads <time>.shutdown.rdb, which restores into a new store with the same keys', async () => {
    await secret('sd-s3', S3_KEYS.secretAccessKey);
    const { password, ip } = await storeWithData('sd', { replicas: 1, persistence: { enabled: false }, snapshot: { dir: 's3://backups/team', s3: s3Settings('sd-s3') } }, 40);
    // Written last, so only a snapshot taken at the deletion can hold it.
    await redisCommand(ip, password, 'SET', 'last-word', 'before-delete');
    assert.deepEqual((await s3.keys('backups')).filter((key) => key.startsWith('team/default/sd/')), []);

    await deleteAndWaitGone('sd');
    const objects = (await s3.keys('backups')).filter((key) => key.startsWith('team/default/sd/'));
    assert.equal(objects.length, 1, objects.join(','));
    assert.match(objects[0]!, /^team\/default\/sd\/\d{8}T\d{9}Z\.shutdown\.rdb$/);
    assert.equal(s3.openUploads(), 0);
    const events = await storeEvents('sd');
    const succeeded = events.find((event) => event.reason === 'ShutdownSnapshotSucceeded');
    assert.ok(succeeded, events.map((event) => event.reason).join(','));
    assert.equal(succeeded.type, 'Normal');
    assert.ok(succeeded.message.includes(`s3://backups/${objects[0]}`), succeeded.message);

    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('sd-restored', {
      replicas: 1, persistence: { enabled: false }, restore: { url: `s3://backups/${objects[0]}` }, snapshot: { s3: s3Settings('sd-s3') },
    }));
    const restored = await waitFor('sd-restored Ready with the data', async () => {
      const store = await getStore(e2e.cluster.client, 'sd-restored');
      if (store.status?.phase !== 'Ready' || store.status.restore?.result !== 'Succeeded') return undefined;
      const pod = (await listStorePods(e2e.cluster.client, 'sd-restored')).find((candidate) => candidate.role === 'master');
      return pod?.ip ? pod.ip : undefined;
    }, 120_000, 250);
    const restoredPassword = await storePassword(e2e.cluster.client, 'sd-restored');
    assert.equal(Number(await redisCommand(restored, restoredPassword, 'DBSIZE')), 41);
    for (let index = 0; index < 40; index++) assert.equal(await redisCommand(restored, restoredPassword, 'GET', `key:${index}`), `value:${index}`);
    assert.equal(await redisCommand(restored, restoredPassword, 'GET', 'last-word'), 'before-delete');
  });

  it('wrong S3 keys: the deletion completes within the bound, nothing is uploaded, a Warning Event says why', async () => {
    await secret('sd-wrong', 'not-the-key');
    await storeWithData('sd-denied', { replicas: 1, persistence: { enabled: false }, snapshot: { dir: 's3://backups/team', s3: s3Settings('sd-wrong') } }, 10);
    const tookMs = await deleteAndWaitGone('sd-denied');
    assert.ok(tookMs < BOUND_MS, `the deletion took ${Math.round(tookMs)} ms (bound ${BOUND_MS} ms)`);
    assert.deepEqual((await s3.keys('backups')).filter((key) => key.startsWith('team/default/sd-denied/')), []);
    assert.equal(s3.openUploads(), 0);
    const events = await storeEvents('sd-denied');
    const failed = events.find((event) => event.reason === 'ShutdownSnapshotFailed');
    assert.ok(failed, events.map((event) => event.reason).join(','));
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /S3AccessDenied/);
    assert.match(failed.message, /credentialsSecret/);
    assert.match(failed.message, /deletion went on/);
  });

  it('an S3 endpoint that never answers: the deletion goes on at the bound with a Warning Event', async () => {
    // Accepts connections and never answers: the upload can only end by the bound.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      await storeWithData('sd-silent', {
        replicas: 1, persistence: { enabled: false },
        snapshot: { dir: 's3://backups/team', s3: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentialsSecret: { name: 'sd-s3' } } },
      }, 10);
      const tookMs = await deleteAndWaitGone('sd-silent');
      assert.ok(tookMs >= BOUND_MS - 500 && tookMs < BOUND_MS + 10_000, `the deletion took ${Math.round(tookMs)} ms (bound ${BOUND_MS} ms)`);
      const failed = (await storeEvents('sd-silent')).find((event) => event.reason === 'ShutdownSnapshotFailed');
      assert.ok(failed);
      assert.match(failed.message, /not finished within 8 s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
