/**
 * End to end on the sandbox with real redis-server pods: create -> Ready with one master and N-1 replicas, data
 * written through the master Service is read back from every replica; a deleted replica rejoins; scale 3 -> 5 -> 2.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import {
  getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor,
} from './e2e-helpers.js';

const STORE = 'life';

describe('reconciler end to end: lifecycle', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();
  let password: string;

  async function readyStore(replicas: number) {
    return waitFor(`${STORE} Ready with ${replicas} pods`, async () => {
      const store = await getStore(e2e.cluster.client, STORE);
      const status = store.status;
      if (status?.phase !== 'Ready' || status.readyReplicas !== replicas || status.replicas !== replicas) return undefined;
      const pods = await listStorePods(e2e.cluster.client, STORE);
      if (pods.length !== replicas) return undefined;
      return { store, pods };
    }, 180_000);
  }

  async function assertReplicated(key: string, value: string, replicas: number) {
    const masterService = await e2e.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    assert.equal(await redisCommand(masterService.spec.clusterIP, password, 'SET', key, value), 'OK', 'write through the master Service');
    const { pods } = await readyStore(replicas);
    const masters = pods.filter((pod) => pod.role === 'master');
    assert.equal(masters.length, 1, 'exactly one pod is labelled master');
    const replicaPods = pods.filter((pod) => pod.role === 'replica');
    assert.equal(replicaPods.length, replicas - 1);
    for (const pod of replicaPods) {
      await waitFor(`${key} on ${pod.name}`, async () => (await redisCommand(pod.ip!, password, 'GET', key)) === value, 15_000);
      const role = String(await redisCommand(pod.ip!, password, 'ROLE'));
      assert.match(role, /^slave/, `${pod.name} is a replica`);
    }
  }

  it('creates a store that becomes Ready with one master and N-1 replicas holding the data', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 3 }));
    const { store, pods } = await readyStore(3);
    password = await storePassword(e2e.cluster.client, STORE);
    assert.equal(store.status?.master, pods.find((pod) => pod.role === 'master')?.name);
    assert.equal(store.status?.master, `${STORE}-0`, 'a new store elects ordinal 0');
    assert.ok(store.metadata?.finalizers?.includes('redwing.dev/pvc-retention'));
    assert.equal(store.status?.observedGeneration, store.metadata?.generation);
    assert.equal(store.status?.selector, `app.kubernetes.io/name=kvstore,app.kubernetes.io/instance=${STORE}`);
    const conditions = Object.fromEntries((store.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual({ ...conditions, PolicyCompliant: undefined }, { Available: 'True', Progressing: 'False', Degraded: 'False', ReplicationHealthy: 'True', Reconciled: 'True', PolicyCompliant: undefined });
    await assertReplicated('first', 'value-1', 3);
  });

  it('a deleted replica pod comes back as a replica with the data', async () => {
    const victim = `${STORE}-2`;
    const before = (await listStorePods(e2e.cluster.client, STORE)).find((pod) => pod.name === victim)!;
    await e2e.cluster.client.delete(paths.coreObject('pods', 'default', victim));
    await waitFor(`${victim} to be replaced`, async () => {
      const pod = await e2e.cluster.client.getOptional<{ metadata: { uid: string } }>(paths.coreObject('pods', 'default', victim));
      return pod !== undefined && pod.metadata.uid !== before.uid;
    });
    await assertReplicated('after-delete', 'value-2', 3);
    assert.equal(await redisCommand((await listStorePods(e2e.cluster.client, STORE)).find((pod) => pod.name === victim)!.ip!, password, 'GET', 'first'), 'value-1');
  });

  it('scales 3 -> 5 -> 2 and keeps the data', async () => {
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { replicas: 5 } });
    await assertReplicated('scaled-up', 'value-5', 5);
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { replicas: 2 } });
    await assertReplicated('scaled-down', 'value-2b', 2);
    const pods = await listStorePods(e2e.cluster.client, STORE);
    assert.deepEqual(pods.map((pod) => pod.name), [`${STORE}-0`, `${STORE}-1`], 'the highest ordinals were removed');
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.equal(await redisCommand(master.ip!, password, 'GET', 'first'), 'value-1');
  });
});
