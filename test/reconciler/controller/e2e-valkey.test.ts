/**
 * End to end on the sandbox: a valkey store runs valkey-server 8 itself (never redis-server under its name), seen from
 * a client through the store's Service, replicates to every pod, and takes a live setting with CONFIG SET.
 * The other scenarios run on valkey with REDWING_E2E_ENGINE=valkey (e2e-helpers.ts).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import { findOnPath } from '../../../sandbox/kubelet/images.js';
import { kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor, waitStoreReady } from './e2e-helpers.js';

const STORE = 'vk';
const valkeyMissing = !findOnPath('valkey-server', process.env.PATH ?? '') && 'valkey-server is not installed (scripts/ensure-deps.mjs as root)';

describe('reconciler end to end: a valkey store', { timeout: 300_000, skip: valkeyMissing }, () => {
  const e2e = useReconcilerOnSandbox();

  it('runs valkey-server 8: INFO server through the master Service names valkey; data reaches every replica', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { engine: 'valkey', replicas: 3 }));
    const pods = await waitStoreReady(e2e.cluster.client, STORE, 3);
    const password = await storePassword(e2e.cluster.client, STORE);
    const service = await e2e.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    const info = String(await redisCommand(service.spec.clusterIP, password, 'INFO', 'server'));
    assert.match(info, /^server_name:valkey\r?$/m);
    assert.match(info, /^valkey_version:8\./m);
    assert.equal(await redisCommand(service.spec.clusterIP, password, 'SET', 'engine', 'valkey'), 'OK');
    for (const pod of pods) {
      const podInfo = String(await redisCommand(pod.ip!, password, 'INFO', 'server'));
      assert.match(podInfo, /^server_name:valkey\r?$/m, `${pod.name} runs valkey`);
      await waitFor(`the write on ${pod.name}`, async () => (await redisCommand(pod.ip!, password, 'GET', 'engine')) === 'valkey', 15_000);
    }
  });

  it('takes a live setting on every pod with CONFIG SET, without a restart', async () => {
    const password = await storePassword(e2e.cluster.client, STORE);
    await e2e.cluster.client.patch(paths.kvstore('default', STORE), { spec: { replication: { minReplicasToWrite: 1 } } });
    for (const pod of await listStorePods(e2e.cluster.client, STORE)) {
      await waitFor(`${pod.name} min-replicas-to-write`, async () => {
        const reply = await redisCommand(pod.ip!, password, 'CONFIG', 'GET', 'min-replicas-to-write') as string[];
        return reply[1] === '1';
      }, 30_000);
    }
    const pods = await e2e.cluster.client.list<{ status?: { containerStatuses?: Array<{ restartCount?: number }> } }>(paths.core('pods', 'default'), `app.kubernetes.io/instance=${STORE}`);
    assert.deepEqual(pods.items.map((pod) => pod.status?.containerStatuses?.[0]?.restartCount ?? 0), [0, 0, 0], 'no pod restarted');
  });
});
