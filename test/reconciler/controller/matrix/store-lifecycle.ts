/**
 * The engine matrix's main scenario: one three-pod store taken through everything a store lives through, in order,
 * each step asserting data (every acknowledged write so far, through the master Service or on every pod):
 * create → Ready with the data on every replica and the exporter up; live config and live password rotation without
 * a restart; a scheduled snapshot (the cron) whose file, loaded by a fresh server of the engine, holds the last
 * write; kill -9 of the master; SIGSTOP of the master; deletion of the master pod; a rollout under writes
 * (switchover: FAILOVER TO, REPLTAKEOVER on Dragonfly); scale 3 → 5 → 2; a cold start of every pod, which reads back
 * what the on-shutdown save wrote (persistence.mode rdb: no AOF to fall back on). One store keeps the matrix lean:
 * each step starts from the healthy store the previous one left.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { Writer } from '../../../../harness/writer.js';
import { paths } from '../../../../kube/paths.js';
import type { Engine } from '../../../../shared/schema/kvstore.js';
import { storePassword, waitFor, waitForPasswordRotated, waitStoreReady, type PodInfo, type ReconcilerOnSandbox } from '../e2e-helpers.js';
import { FailoverStore } from '../failover-store.js';
import { scrapeRedisUp } from './exporter-scrape.js';
import { keyInSnapshot } from './snapshot-file.js';

const STORE = 'mx';
type Entry = { key: string; value: string };

/** What INFO server says only on each engine's own server. */
const SERVER_MARK: Record<Engine, RegExp> = {
  redis: /^redis_version:(?![\s\S]*^server_name:valkey)/m,
  valkey: /^server_name:valkey\r?$/m,
  dragonfly: /^dragonfly_version:/m,
};

/** Keys of `keys` that `host` does not hold, read over one connection in batches. */
async function missingKeys(host: string, password: string, keys: string[]): Promise<string[]> {
  const client = new Redis({ host, port: 6379, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000, commandTimeout: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const missing: string[] = [];
    for (let start = 0; start < keys.length; start += 500) {
      const batch = keys.slice(start, start + 500);
      const values = await client.mget(...batch);
      batch.forEach((key, index) => { if (values[index] === null) missing.push(key); });
    }
    return missing;
  } finally {
    client.disconnect();
  }
}

async function engineRestarts(e2e: ReconcilerOnSandbox): Promise<number[]> {
  const list = await e2e.cluster.client.list<{ status?: { containerStatuses?: Array<{ name: string; restartCount: number }> } }>(
    paths.core('pods', 'default'), `app.kubernetes.io/instance=${STORE}`,
  );
  return list.items.map((pod) => pod.status?.containerStatuses?.find((status) => status.name === 'engine')?.restartCount ?? 0);
}

/** The steps, in order; each starts from the store the previous one left. */
export type LifecycleStep = 'live' | 'snapshot' | 'kill' | 'freeze' | 'delete' | 'rollout' | 'scale' | 'cold-start';

/**
 * Registers the steps on `engine`. `coveredElsewhere` names the steps another e2e file already runs on this engine
 * (step → that file): they are listed as skipped with the file, so the matrix stays one place to read and the heavy
 * runs are not made twice. Creation always runs (every other step needs the store).
 */
export function storeLifecycle(e2e: ReconcilerOnSandbox, engine: Engine, coveredElsewhere: Partial<Record<LifecycleStep, string>> = {}): void {
  const step = (name: LifecycleStep, title: string, fn: () => Promise<void>) => {
    const file = coveredElsewhere[name];
    it(`${engine}: ${title}`, { skip: file ? `runs on ${engine} in ${file}` : false }, fn);
  };
  let store: FailoverStore;
  const entries: Entry[] = [];
  const faults = () => e2e.cluster.sandbox.faults;
  const onEveryPod = async (pods: PodInfo[], keys: Entry[]) => {
    for (const pod of pods) {
      await waitFor(`every write on ${pod.name}`, async () => (await missingKeys(pod.ip!, store.password, keys.map((entry) => entry.key))).length === 0, 60_000, 200);
    }
  };
  const masterOf = (pods: PodInfo[]) => pods.find((pod) => pod.role === 'master')!;

  it(`${engine}: create → Ready, a write on every replica, the exporter up on every pod`, async () => {
    store = new FailoverStore(e2e.cluster, STORE);
    const pods = await store.create({ engine, exporter: { enabled: true }, persistence: { mode: 'rdb' } });
    entries.push(await store.replicatedWrite(pods.filter((pod) => pod.role === 'replica')));
    for (const pod of pods) {
      // Each engine runs its own server, never another under its name.
      assert.match(String(await store.command(pod.ip!, 'INFO', 'server')), SERVER_MARK[engine], `${pod.name} runs ${engine}`);
      await waitFor(`redis_up 1 on ${pod.name}`, async () => (await scrapeRedisUp(pod.ip!)) === '1', 60_000);
    }
  });

  step('live', 'live config and live password rotation, without a restart, data intact', async () => {
    const before = await engineRestarts(e2e);
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { config: { timeout: '300' } } });
    for (const pod of await store.pods()) {
      await waitFor(`timeout 300 on ${pod.name}`, async () => {
        const reply = await store.command(pod.ip!, 'CONFIG', 'GET', 'timeout') as string[] | Record<string, string>;
        return (Array.isArray(reply) ? reply[1] : reply.timeout) === '300';
      }, 30_000);
    }
    const oldPassword = store.password;
    const newPassword = `rotated-${engine}-0123456789abcdef`;
    await e2e.cluster.client.patch(paths.coreObject('secrets', 'default', `${STORE}-auth`), { data: { password: Buffer.from(newPassword).toString('base64') } });
    // Dragonfly keeps accepting the old password until a restart (recorded): only the new one is checked there.
    for (const pod of await store.pods()) {
      if (engine === 'dragonfly') await waitFor(`${pod.name} takes the new password`, async () => (await store.command(pod.ip!, 'PING').catch(() => undefined)) === 'PONG', 30_000);
      else await waitForPasswordRotated(pod.ip!, newPassword, oldPassword);
    }
    store.password = await storePassword(e2e.cluster.client, STORE);
    assert.equal(store.password, newPassword);
    await store.healthy();
    await store.expectEntries(entries);
    assert.deepEqual(await engineRestarts(e2e), before, 'no engine restarted');
  });

  step('snapshot', 'snapshot cron: a scheduled save on a replica holds the last acknowledged write', async () => {
    const entry = await store.replicatedWrite((await store.pods()).filter((pod) => pod.role === 'replica'));
    entries.push(entry);
    // The matrix's reconciler reads every cron as "every 2 s" (e2e-matrix-*.test.ts), so a run comes within seconds.
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { snapshot: { cron: '* * * * *' } } });
    try {
      // No snapshot ran before the cron was set, which was after the write: the first success must hold it.
      const pod = await waitFor('a successful scheduled snapshot', async () => {
        const last = (await store.store()).status?.lastSnapshot;
        return last?.result === 'Succeeded' ? last.pod : undefined;
      }, 60_000, 250);
      const claim = await e2e.cluster.client.get<{ metadata: { uid: string } }>(paths.coreObject('persistentvolumeclaims', 'default', `data-${pod}`));
      const volume = join(e2e.cluster.sandbox.dir, 'volumes', `pvc-${claim.metadata.uid}`);
      assert.equal(await keyInSnapshot(engine, volume, entry.key), entry.value, `the snapshot on ${pod} holds ${entry.key}`);
    } finally {
      await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { snapshot: { cron: null } } });
    }
  });

  step('kill', 'kill -9 of the master: a replica takes over with every write, the old master rejoins', async () => {
    const master = masterOf(await store.healthy());
    entries.push(await store.replicatedWrite((await store.pods()).filter((pod) => pod.role === 'replica')));
    await faults().crashPod('default', master.name);
    const after = await store.expectFailover(master.name, entries);
    await store.expectRejoined(after.status!.master!, master.name, entries);
  });

  step('freeze', 'SIGSTOP of the master: detected, failed over, demoted when thawed', async () => {
    const master = masterOf(await store.healthy());
    entries.push(await store.replicatedWrite((await store.pods()).filter((pod) => pod.role === 'replica')));
    await faults().freezePod('default', master.name);
    try {
      const after = await store.expectFailover(master.name, entries);
      await faults().thawPod('default', master.name);
      await store.expectRejoined(after.status!.master!, master.name, entries);
    } finally {
      await faults().thawPod('default', master.name).catch(() => undefined);
    }
  });

  step('delete', 'deletion of the master pod: a replica takes over, the pod comes back as a replica', async () => {
    const master = masterOf(await store.healthy());
    entries.push(await store.replicatedWrite((await store.pods()).filter((pod) => pod.role === 'replica')));
    await e2e.cluster.client.delete(paths.coreObject('pods', 'default', master.name));
    const after = await store.expectFailover(master.name, entries);
    await store.expectRejoined(after.status!.master!, master.name, entries);
  });

  step('rollout', 'a rollout under writes hands the master over by switchover; no acknowledged write is lost', async () => {
    await store.healthy();
    const writer = new Writer({ host: store.serviceIp, port: 6379, password: store.password, prefix: `${STORE}-rollout`, retryForMs: 5_000 });
    try {
      await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { podMetadata: { annotations: { 'matrix.redwing.dev/rollout': '1' } } } });
      await waitFor('every pod on the new template', async () => {
        const list = await e2e.cluster.client.list<{ metadata: { annotations?: Record<string, string>; deletionTimestamp?: string } }>(
          paths.core('pods', 'default'), `app.kubernetes.io/instance=${STORE}`,
        );
        return list.items.length === 3 && list.items.every((pod) => !pod.metadata.deletionTimestamp && pod.metadata.annotations?.['matrix.redwing.dev/rollout'] === '1');
      }, 180_000, 500);
      await store.healthy();
    } finally {
      const report = await writer.stop();
      assert.deepEqual(report.failedKeys, [], 'no write failed for its whole retry budget');
      assert.ok(report.acknowledged.length > 0, 'writes were acknowledged during the rollout');
      assert.deepEqual(await missingKeys(store.serviceIp, store.password, report.acknowledged), [], 'acknowledged writes lost in the rollout');
    }
    assert.equal((await store.store()).status?.lastFailover?.reason, 'RollingUpdateSwitchover', 'the master moved by switchover');
    await store.expectEntries(entries);
  });

  step('scale', 'scale 3 → 5 → 2 with every write on every pod', async () => {
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { replicas: 5 } });
    await onEveryPod(await waitStoreReady(e2e.cluster.client, STORE, 5, { timeoutMs: 180_000 }), entries);
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { replicas: 2 } });
    const pods = await waitFor('two pods left', async () => {
      const ready = await waitStoreReady(e2e.cluster.client, STORE, 2, { timeoutMs: 180_000 });
      return (await store.pods()).length === 2 ? ready : undefined;
    }, 180_000);
    await onEveryPod(pods, entries);
  });

  step('cold-start', 'cold start: every pod deleted at once comes back with the data its on-shutdown save wrote', async () => {
    const replicas = (await store.store()).spec?.replicas ?? 3;
    const pods = await waitStoreReady(e2e.cluster.client, STORE, replicas);
    entries.push(await store.replicatedWrite(pods.filter((pod) => pod.role === 'replica')));
    await Promise.all(pods.map((pod) => e2e.cluster.client.delete(paths.coreObject('pods', 'default', pod.name))));
    await waitFor('new pods', async () => {
      const now = await store.pods();
      return now.length === replicas && now.every((pod) => !pods.some((old) => old.uid === pod.uid));
    }, 120_000);
    const back = await waitStoreReady(e2e.cluster.client, STORE, replicas, { timeoutMs: 180_000 });
    await store.writesAccepted();
    await store.expectEntries(entries);
    await onEveryPod(back, entries);
  });
}
