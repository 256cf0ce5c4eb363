/**
 * End to end on the sandbox: a cold start. Every pod of the store is killed at once, after the master (moved off
 * ordinal 0 by an earlier failover) took acknowledged writes its frozen replicas never saw. Every pod boots fenced
 * (none answers as master on its own), and the pod with the most data becomes master again, not ordinal 0: no
 * acknowledged write is lost and the master Service takes writes again.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { runReconciler, type RunningReconciler } from '../../../reconciler/controller/main.js';
import { startE2eCluster, type E2eCluster } from './e2e-helpers.js';
import { FailoverStore, RoleWatcher } from './failover-store.js';

const silent = pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' });
/** Enough data that the master's AOF takes a moment to load: the pods with less data may well answer first. */
const VALUE_BYTES = 1024 * 1024;
const UNREPLICATED_WRITES = 24;

describe('reconciler end to end: cold start (every pod restarted at once)', { timeout: 400_000 }, () => {
  let cluster: E2eCluster;
  let reconciler: RunningReconciler;
  let store: FailoverStore;

  before(async () => {
    cluster = await startE2eCluster();
    reconciler = await runReconciler({ kubeConfig: cluster.kubeConfig, metricsPort: 0, leaderElect: false, logger: silent });
    store = new FailoverStore(cluster, 'cold');
    // Everything dies at once, so the disk is the only copy of the master's last writes: with the default
    // `appendfsync everysec` Redis may acknowledge up to two seconds of writes before they reach the AOF.
    await store.create({ config: { appendfsync: 'always' } });
  });

  after(async () => {
    await reconciler?.stop();
    await cluster?.stop();
  });

  it('every pod boots fenced and the pod with the most data (not ordinal 0) becomes master', async (t) => {
    const { faults } = cluster.sandbox;
    let pods = await store.healthy();
    const entries = [await store.replicatedWrite(pods.filter((pod) => pod.role === 'replica'))];
    const first = pods.find((pod) => pod.role === 'master')!;
    if (first.name.endsWith('-0')) {
      // Move the master off ordinal 0, as an earlier failover would have.
      await faults.crashPod('default', first.name);
      await store.expectFailover(first.name, entries);
      pods = await store.healthy();
    }
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.ok(!master.name.endsWith('-0'), `the master is ${master.name}, not ordinal 0`);
    const replicas = pods.filter((pod) => pod.role === 'replica');
    entries.push(await store.replicatedWrite(replicas));

    // The replicas stop following: the master alone takes the next acknowledged writes.
    for (const pod of replicas) await faults.freezePod('default', pod.name);
    try {
      for (let index = 0; index < UNREPLICATED_WRITES; index += 1) {
        entries.push(await store.write(`cold-${index}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (index % 26)))));
      }
    } catch (error) {
      for (const pod of replicas) await faults.thawPod('default', pod.name).catch(() => undefined);
      throw error;
    }

    // Every pod dies at once (SIGKILL also ends the frozen ones); the kubelet restarts them all.
    await Promise.all(pods.map((pod) => faults.crashPod('default', pod.name)));
    const watcher = new RoleWatcher(store.password);
    watcher.watch(pods);
    try {
      await store.writesAccepted(120_000);
      await store.expectEntries(entries);
      const after = await store.healthy();
      assert.equal(after.find((pod) => pod.role === 'master')?.name, master.name, `${master.name} (most data) is master again`);
      assert.equal((await store.store()).status?.master, master.name);
      for (const pod of after.filter((entry) => entry.role === 'replica')) {
        await store.expectEntries(entries, `on ${pod.name} after it resynced`, pod.ip!);
      }
    } finally {
      await watcher.stop();
    }
    t.diagnostic(`pods seen as master after the crash: ${[...watcher.mastersSeen].join(', ') || 'none'}`);
    assert.deepEqual([...watcher.mastersSeen], [master.name], 'no other pod answered as master at any moment (all booted fenced)');
  });
});
