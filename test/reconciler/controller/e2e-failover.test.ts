/**
 * End to end on the sandbox: the reconciler's failover loop (health monitor -> reconcile -> election -> promotion ->
 * labels -> status) against real faults: kill -9 of the master (restarting fast, fenced), SIGSTOP (hung, port
 * open), eviction, and two masters. Each asserts data and that writes through the master Service come back.
 * The other failover scenarios have a file (and a sandbox) each: e2e-failover-node-loss, -partition, -lagging,
 * -operator-crash and -cold-start.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import {
  getStore, kvstore, listStorePods, type PodInfo, redisCommand, storePassword, useReconcilerOnSandbox, waitFor,
} from './e2e-helpers.js';

const STORE = 'fo';

describe('reconciler end to end: failover', { timeout: 400_000 }, () => {
  let password: string;
  let serviceIp: string;
  let counter = 0;

  const e2e = useReconcilerOnSandbox();

  before(async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 3, failover: { downAfterMilliseconds: 1000 } }));
    await healthy();
    password = await storePassword(e2e.cluster.client, STORE);
    serviceIp = (await e2e.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE))).spec.clusterIP;
  });

  async function healthy(): Promise<PodInfo[]> {
    return waitFor(`${STORE} Ready`, async () => {
      const status = (await getStore(e2e.cluster.client, STORE)).status;
      if (status?.phase !== 'Ready' || status.readyReplicas !== 3) return undefined;
      const pods = await listStorePods(e2e.cluster.client, STORE);
      return pods.length === 3 && pods.filter((pod) => pod.role === 'master').length === 1 && pods.filter((pod) => pod.role === 'replica').length === 2 ? pods : undefined;
    }, 120_000);
  }

  /** Writes a key and waits until both replicas have it, so it must survive the loss of the master. */
  async function replicatedWrite(pods: PodInfo[]): Promise<string> {
    const key = `k${counter++}`;
    assert.equal(await redisCommand(serviceIp, password, 'SET', key, key), 'OK');
    for (const pod of pods.filter((entry) => entry.role === 'replica')) {
      await waitFor(`${key} on ${pod.name}`, async () => (await redisCommand(pod.ip!, password, 'GET', key)) === key, 10_000, 50);
    }
    return key;
  }

  async function expectFailover(oldMaster: string, keys: string[], beforeRejoin?: () => Promise<void>): Promise<void> {
    const store = await waitFor('a new master recorded', async () => {
      const current = await getStore(e2e.cluster.client, STORE);
      return current.status?.master && current.status.master !== oldMaster ? current : undefined;
    }, 60_000, 100);
    assert.equal(store.status!.lastFailover?.from, oldMaster);
    assert.equal(store.status!.lastFailover?.to, store.status!.master);
    await waitFor('writes through the master Service', async () => (await redisCommand(serviceIp, password, 'SET', 'probe', String(Date.now()))) === 'OK', 30_000, 100);
    for (const key of keys) assert.equal(await redisCommand(serviceIp, password, 'GET', key), key, `${key} survived`);
    await beforeRejoin?.();
    const pods = await healthy();
    assert.equal(pods.find((pod) => pod.role === 'master')!.name, store.status!.master);
    assert.equal(pods.find((pod) => pod.name === oldMaster)!.role, 'replica', 'the old master rejoined as a replica');
  }

  it('kill -9 of the master (restarting fenced, faster than detection) promotes a replica without wiping data', async () => {
    const pods = await healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const keys = [await replicatedWrite(pods), await replicatedWrite(pods)];
    await e2e.cluster.sandbox.faults.crashPod('default', master.name);
    await expectFailover(master.name, keys);
  });

  it('a hung master (SIGSTOP, port open) is detected and failed over', async () => {
    const pods = await healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const keys = [await replicatedWrite(pods)];
    await e2e.cluster.sandbox.faults.freezePod('default', master.name);
    let thawed = false;
    const thaw = async () => {
      thawed = true;
      await e2e.cluster.sandbox.faults.thawPod('default', master.name);
    };
    try {
      // Thawed after the failover, the old master still believes it is master: it must be demoted, not kept.
      await expectFailover(master.name, keys, thaw);
    } finally {
      if (!thawed) await e2e.cluster.sandbox.faults.thawPod('default', master.name).catch(() => undefined);
    }
  });

  it('an evicted master is replaced at once', async () => {
    const pods = await healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const keys = [await replicatedWrite(pods)];
    await e2e.cluster.sandbox.faults.evictPod('default', master.name);
    await expectFailover(master.name, keys);
  });

  it('two masters (REPLICAOF NO ONE run by hand on a replica) converge to one: the side with fewer writes is demoted', async () => {
    const pods = await healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    // The lowest-ordinal replica: right after its REPLICAOF NO ONE neither side has written anything, and that tie must
    // keep the recorded master, not go to the lower ordinal (which demoted the real master under the writes below).
    const rogue = pods.filter((pod) => pod.role === 'replica').sort((a, b) => a.name.localeCompare(b.name))[0]!;
    await replicatedWrite(pods);
    assert.equal(await redisCommand(rogue.ip!, password, 'REPLICAOF', 'NO', 'ONE'), 'OK');
    // The real master keeps taking writes through the Service; the rogue takes none.
    for (let index = 0; index < 5; index += 1) await redisCommand(serviceIp, password, 'SET', `split-${index}`, 'x');
    await waitFor('the rogue to be a replica again', async () => String(await redisCommand(rogue.ip!, password, 'ROLE')).startsWith('slave'), 30_000, 100);
    const after = await healthy();
    assert.equal(after.find((pod) => pod.role === 'master')!.name, master.name, 'the master with the writes kept the role');
    assert.equal((await getStore(e2e.cluster.client, STORE)).status?.master, master.name);
    await waitFor('the demoted pod to follow again', async () => (await redisCommand(rogue.ip!, password, 'GET', 'split-4')) === 'x', 15_000, 100);
    const events = await e2e.cluster.client.list<{ reason: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    assert.ok(events.items.some((event) => event.reason === 'SplitBrainResolved' && event.involvedObject.name === STORE), 'the store reports it');
  });

  it('two masters where the pod promoted by hand took the writes: it keeps the role, the recorded master is demoted', async () => {
    const pods = await healthy();
    const recorded = pods.find((pod) => pod.role === 'master')!;
    const rogue = pods.filter((pod) => pod.role === 'replica').sort((a, b) => b.name.localeCompare(a.name))[0]!;
    const before = await replicatedWrite(pods);
    // With no reconciler running, the split and its writes are in place before anyone looks: the decision is made on
    // writes since the split alone, against the recorded master and whatever the ordinals are.
    await e2e.restartReconciler(async () => {
      assert.equal(await redisCommand(rogue.ip!, password, 'REPLICAOF', 'NO', 'ONE'), 'OK');
      for (let index = 0; index < 20; index += 1) assert.equal(await redisCommand(rogue.ip!, password, 'SET', `rogue-${index}`, 'y'.repeat(100)), 'OK');
    });
    await waitFor('the rogue recorded as master', async () => (await getStore(e2e.cluster.client, STORE)).status?.master === rogue.name, 30_000, 100);
    const after = await healthy();
    assert.equal(after.find((pod) => pod.role === 'master')!.name, rogue.name);
    assert.equal(after.find((pod) => pod.name === recorded.name)!.role, 'replica', 'the recorded master was demoted');
    await waitFor('the rogue writes through the master Service', async () => (await redisCommand(serviceIp, password, 'GET', 'rogue-19')) === 'y'.repeat(100), 30_000, 100);
    assert.equal(await redisCommand(serviceIp, password, 'GET', before), before, 'data from before the split survived');
    await waitFor('the demoted master to follow the rogue', async () => (await redisCommand(recorded.ip!, password, 'GET', 'rogue-19')) === 'y'.repeat(100), 15_000, 100);
  });
});
