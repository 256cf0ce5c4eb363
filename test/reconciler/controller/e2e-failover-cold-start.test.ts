/**
 * End to end on the sandbox: a cold start. Every pod of a store is killed at once, after the master (moved off
 * ordinal 0 by an earlier failover) took acknowledged writes its frozen replicas never saw. Every pod boots fenced
 * (none answers as master on its own), and the pod with the most data becomes master again, not ordinal 0: no
 * acknowledged write is lost and the master Service takes writes again. The second scenario has the pod with the
 * most data come back last (as a large dataset that takes long to load would): the others must not be elected
 * meanwhile, or it would be resynced from one of them and lose its data.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { type PodInfo, useReconcilerOnSandbox, waitFor } from './e2e-helpers.js';
import { FailoverStore, RoleWatcher } from './failover-store.js';

/** Enough data that the master's AOF takes a moment to load: the pods with less data may well answer first. */
const VALUE_BYTES = 1024 * 1024;
const UNREPLICATED_WRITES = 24;
/** How long the pod with the most data stays frozen after its restart: well past detection and election. */
const SLOW_BOOT_MS = 6000;

type Entry = { key: string; value: string };

describe('reconciler end to end: cold start (every pod restarted at once)', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  /** A store whose master is not ordinal 0 and holds acknowledged writes that neither replica has. */
  async function prepare(name: string): Promise<{ store: FailoverStore; pods: PodInfo[]; master: PodInfo; entries: Entry[] }> {
    const { faults } = e2e.cluster.sandbox;
    const store = new FailoverStore(e2e.cluster, name);
    // Everything dies at once, so the disk is the only copy of the master's last writes: with the default
    // `appendfsync everysec` Redis may acknowledge up to two seconds of writes before they reach the AOF.
    let pods = await store.create({ config: { appendfsync: 'always' } });
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
        const value = `${name}-${index}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (index % 26)));
        // A write that failed is simply not counted as acknowledged; the next try uses a new key.
        entries.push(await waitFor(`acknowledged write ${index}`, () => store.write(value), 15_000, 200));
      }
    } catch (error) {
      for (const pod of replicas) await faults.thawPod('default', pod.name).catch(() => undefined);
      throw error;
    }
    return { store, pods, master, entries };
  }

  /** The pod with the most data is master again, nothing acknowledged is lost, every replica resynced from it. */
  async function expectRecovered(store: FailoverStore, master: PodInfo, entries: Entry[]): Promise<void> {
    await store.writesAccepted(120_000);
    await store.expectEntries(entries);
    const after = await store.healthy();
    assert.equal(after.find((pod) => pod.role === 'master')?.name, master.name, `${master.name} (most data) is master again`);
    assert.equal((await store.store()).status?.master, master.name);
    for (const pod of after.filter((entry) => entry.role === 'replica')) {
      await store.expectEntries(entries, `on ${pod.name} after it resynced`, pod.ip!);
    }
  }

  it('every pod boots fenced and the pod with the most data (not ordinal 0) becomes master', async (t) => {
    const { store, pods, master, entries } = await prepare('cold');
    // Every pod dies at once (SIGKILL also ends the frozen ones); the kubelet restarts them all.
    await Promise.all(pods.map((pod) => e2e.cluster.sandbox.faults.crashPod('default', pod.name)));
    const watcher = new RoleWatcher(store.password);
    watcher.watch(pods);
    try {
      await expectRecovered(store, master, entries);
    } finally {
      await watcher.stop();
    }
    t.diagnostic(`pods seen as master after the crash: ${[...watcher.mastersSeen].join(', ') || 'none'}`);
    assert.deepEqual([...watcher.mastersSeen], [master.name], 'no other pod answered as master at any moment (all booted fenced)');
  });

  // Guards plan-topology's cold-start wait: electing among the pods that answer first would make the slow one resync
  // from a poorer pod and drop the acknowledged writes only it holds.
  it('the pod with the most data still wins when it is the last to come back', async () => {
    const { faults } = e2e.cluster.sandbox;
    const { store, pods, master, entries } = await prepare('coldslow');
    const oldPids = new Set(faults.podPids('default', master.name));
    // Frozen as the kubelet restarts it, before it has loaded its data: it answers nobody for a while.
    await faults.freezePodOnNextStart('default', master.name);
    await Promise.all(pods.map((pod) => faults.crashPod('default', pod.name)));
    await waitFor(`${master.name} restarted`, () => {
      const pids = faults.podPids('default', master.name);
      return pids.length > 0 && pids.every((pid) => !oldPids.has(pid));
    }, 60_000, 20);
    try {
      await new Promise((resolve) => setTimeout(resolve, SLOW_BOOT_MS));
    } finally {
      await faults.thawPod('default', master.name);
    }
    await expectRecovered(store, master, entries);
  });
});
