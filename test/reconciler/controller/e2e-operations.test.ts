/**
 * End to end on the sandbox with real redis-server pods: live password rotation and live config without restarts,
 * a StatefulSet deleted out of band, the master pod deleted (failover), deletion with and without
 * keepAfterDeletion and a re-created store getting its data back, and a reconciler restarted mid-way.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { paths } from '../../../kube/paths.js';
import { storeObjectNames } from '../../../shared/names.js';
import {
  getStore, kvstore, listStorePods, type PodInfo, redisCommand, storePassword, useReconcilerOnSandbox, waitFor, waitForPasswordRotated, waitStoreReady,
} from './e2e-helpers.js';

describe('reconciler end to end: operations', { timeout: 900_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  const waitReady = (name: string, replicas: number): Promise<PodInfo[]> => waitStoreReady(e2e.cluster.client, name, replicas);

  async function masterServiceIp(name: string): Promise<string> {
    return (await e2e.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', name))).spec.clusterIP;
  }

  async function restartCounts(name: string): Promise<Record<string, string>> {
    const list = await e2e.cluster.client.list<{ metadata: { name: string; uid: string }; status?: { containerStatuses?: Array<{ restartCount: number }> } }>(
      paths.core('pods', 'default'), `app.kubernetes.io/instance=${name}`,
    );
    return Object.fromEntries(list.items.map((pod) => [pod.metadata.name, `${pod.metadata.uid}/${pod.status?.containerStatuses?.[0]?.restartCount ?? 0}`]));
  }

  it('rotates the password live: no restart, connected clients keep working, new connections need the new password', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('ops', { replicas: 2 }));
    const pods = await waitReady('ops', 2);
    const oldPassword = await storePassword(e2e.cluster.client, 'ops');
    const before = await restartCounts('ops');
    const connected = new Redis({ host: await masterServiceIp('ops'), port: 6379, password: oldPassword, maxRetriesPerRequest: 0, retryStrategy: () => null });
    connected.on('error', () => undefined);
    try {
      assert.equal(await connected.set('k', 'before-rotation'), 'OK');
      const newPassword = 'rotated-password-0123456789';
      await e2e.cluster.client.patch(paths.coreObject('secrets', 'default', 'ops-auth'), { data: { password: Buffer.from(newPassword).toString('base64') } });
      for (const pod of pods) await waitForPasswordRotated(pod.ip!, newPassword, oldPassword);
      assert.equal(await connected.set('k', 'after-rotation'), 'OK', 'an already connected client keeps working');
      assert.deepEqual(await restartCounts('ops'), before, 'no pod restarted');
      const replica = pods.find((pod) => pod.role === 'replica')!;
      await waitFor('replication to keep flowing with the new masterauth', async () => (await redisCommand(replica.ip!, newPassword, 'GET', 'k')) === 'after-rotation', 15_000);
      await waitReady('ops', 2);
    } finally {
      connected.disconnect();
    }
  });

  it('applies a live config change with CONFIG SET on every pod, without a restart', async () => {
    const before = await restartCounts('ops');
    const password = await storePassword(e2e.cluster.client, 'ops');
    // A typed field that renders to a live engine setting (spec.config maps are pruned by the CRD schema for now).
    await e2e.cluster.client.patch(paths.kvstore('default', 'ops'), { spec: { replication: { minReplicasToWrite: 1 } } });
    const pods = await listStorePods(e2e.cluster.client, 'ops');
    for (const pod of pods) {
      await waitFor(`${pod.name} min-replicas-to-write`, async () => {
        const reply = await redisCommand(pod.ip!, password, 'CONFIG', 'GET', 'min-replicas-to-write') as string[];
        return reply[1] === '1';
      }, 30_000);
    }
    assert.deepEqual(await restartCounts('ops'), before, 'no pod restarted');
    const configMap = await e2e.cluster.client.get<{ data: Record<string, string> }>(paths.coreObject('configmaps', 'default', 'ops-config'));
    assert.match(Object.values(configMap.data).join('\n'), /min-replicas-to-write 1/, 'the ConfigMap carries it for the next boot');
    assert.equal(await redisCommand(await masterServiceIp('ops'), password, 'SET', 'with-min-replicas', '1'), 'OK', 'writes still accepted with one replica linked');
  });

  it('deletes the optional objects a store switches off: read Service, PDB (one replica) and NetworkPolicy', async () => {
    const names = storeObjectNames('opt');
    const objects = {
      readService: paths.coreObject('services', 'default', names.readService),
      podDisruptionBudget: `/apis/policy/v1/namespaces/default/poddisruptionbudgets/${names.podDisruptionBudget}`,
      networkPolicy: `/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/${names.networkPolicy}`,
    };
    const exists = (path: string) => e2e.cluster.client.get(path).then(() => true, (error: unknown) => {
      if (/404|not ?found/i.test(String(error))) return false;
      throw error;
    });
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('opt', { replicas: 3, networkPolicy: { enabled: true } }));
    await waitReady('opt', 3);
    for (const [what, path] of Object.entries(objects)) await waitFor(`${what} created`, () => exists(path), 30_000);
    await e2e.cluster.client.patch(paths.kvstore('default', 'opt'), { spec: { replicas: 1, service: { readReplicas: false }, networkPolicy: { enabled: false } } });
    for (const [what, path] of Object.entries(objects)) await waitFor(`${what} deleted`, async () => !(await exists(path)), 60_000);
    await waitReady('opt', 1);
  });

  it('recreates a StatefulSet deleted out of band and keeps the data', async () => {
    const password = await storePassword(e2e.cluster.client, 'ops');
    assert.equal(await redisCommand(await masterServiceIp('ops'), password, 'SET', 'survives', 'sts-delete'), 'OK');
    const master = (await listStorePods(e2e.cluster.client, 'ops')).find((pod) => pod.role === 'master')!;
    // Let the write reach disk before the pods go (appendfsync everysec).
    await redisCommand(master.ip!, password, 'BGREWRITEAOF').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const oldUid = (await e2e.cluster.client.get<{ metadata: { uid: string } }>(paths.statefulSet('default', 'ops'))).metadata.uid;
    await e2e.cluster.client.delete(paths.statefulSet('default', 'ops'));
    await waitFor('a new StatefulSet', async () => {
      const sts = await e2e.cluster.client.getOptional<{ metadata: { uid: string } }>(paths.statefulSet('default', 'ops'));
      return sts !== undefined && sts.metadata.uid !== oldUid;
    }, 30_000);
    const pods = await waitReady('ops', 2);
    for (const pod of pods) {
      await waitFor(`data on ${pod.name}`, async () => (await redisCommand(pod.ip!, password, 'GET', 'survives')) === 'sts-delete', 30_000);
    }
  });

  it('fails over when the master pod is deleted: a replica is promoted, data intact, writes accepted', async () => {
    const password = await storePassword(e2e.cluster.client, 'ops');
    const serviceIp = await masterServiceIp('ops');
    assert.equal(await redisCommand(serviceIp, password, 'SET', 'before-failover', '1'), 'OK');
    const pods = await waitReady('ops', 2);
    const oldMaster = pods.find((pod) => pod.role === 'master')!;
    const replica = pods.find((pod) => pod.role === 'replica')!;
    await waitFor('the write to reach the replica', async () => (await redisCommand(replica.ip!, password, 'GET', 'before-failover')) === '1', 10_000);
    await e2e.cluster.client.delete(paths.coreObject('pods', 'default', oldMaster.name));
    const store = await waitFor('a new master in status', async () => {
      const current = await getStore(e2e.cluster.client, 'ops');
      return current.status?.master === replica.name && current.status.lastFailover ? current : undefined;
    }, 30_000);
    assert.equal(store.status!.lastFailover!.from, oldMaster.name);
    assert.equal(store.status!.lastFailover!.to, replica.name);
    // min-replicas-to-write is 1 since the config test: the new master takes writes once the old one is back as its
    // replica (recreated, loaded, synced), which is what this wait covers.
    await waitFor('writes through the master Service', async () => (await redisCommand(serviceIp, password, 'SET', 'after-failover', '2')) === 'OK', 60_000);
    assert.equal(await redisCommand(serviceIp, password, 'GET', 'before-failover'), '1', 'no data lost');
    const healed = await waitReady('ops', 2);
    const returned = healed.find((pod) => pod.name === oldMaster.name)!;
    assert.equal(returned.role, 'replica', 'the old master came back as a replica');
    await waitFor('the old master to follow the new one', async () => (await redisCommand(returned.ip!, password, 'GET', 'after-failover')) === '2', 15_000);
  });

  it('keeps PVCs on deletion by default, and a re-created store gets its data back', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('keep', { replicas: 1 }));
    await waitReady('keep', 1);
    const password = await storePassword(e2e.cluster.client, 'keep');
    assert.equal(await redisCommand(await masterServiceIp('keep'), password, 'SET', 'kept', 'yes'), 'OK');
    const pod = (await listStorePods(e2e.cluster.client, 'keep'))[0]!;
    await redisCommand(pod.ip!, password, 'SAVE');
    await e2e.cluster.client.delete(paths.kvstore('default', 'keep'));
    await waitFor('the store to be gone', async () => (await e2e.cluster.client.getOptional(paths.kvstore('default', 'keep'))) === undefined, 30_000);
    const claim = await e2e.cluster.client.getOptional(paths.coreObject('persistentvolumeclaims', 'default', 'data-keep-0'));
    assert.ok(claim, 'the PVC survived');
    await waitFor('the old pods to be gone', async () => (await listStorePods(e2e.cluster.client, 'keep')).length === 0, 30_000);

    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('keep', { replicas: 1 }));
    await waitReady('keep', 1);
    // The password Secret went with the old store; the new one has a new password, the data is back.
    const newPassword = await storePassword(e2e.cluster.client, 'keep');
    await waitFor('the data to be back', async () => (await redisCommand(await masterServiceIp('keep'), newPassword, 'GET', 'kept')) === 'yes', 30_000);
  });

  it('removes PVCs on deletion when keepAfterDeletion is false', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('drop', { replicas: 1, persistence: { keepAfterDeletion: false } }));
    await waitReady('drop', 1);
    assert.ok(await e2e.cluster.client.getOptional(paths.coreObject('persistentvolumeclaims', 'default', 'data-drop-0')));
    await e2e.cluster.client.delete(paths.kvstore('default', 'drop'));
    await waitFor('the store to be gone', async () => (await e2e.cluster.client.getOptional(paths.kvstore('default', 'drop'))) === undefined, 30_000);
    await waitFor('the PVC to be gone', async () => {
      const claim = await e2e.cluster.client.getOptional<{ metadata: { deletionTimestamp?: string } }>(paths.coreObject('persistentvolumeclaims', 'default', 'data-drop-0'));
      return claim === undefined || claim.metadata.deletionTimestamp !== undefined;
    }, 30_000);
  });

  it('a reconciler killed mid-reconcile converges after restart', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('restart', { replicas: 3 }));
    // Stop as soon as the first objects exist: the StatefulSet is there, roles are not assigned yet.
    await waitFor('the StatefulSet', async () => (await e2e.cluster.client.getOptional(paths.statefulSet('default', 'restart'))) !== undefined, 30_000, 20);
    await e2e.restartReconciler();
    const pods = await waitReady('restart', 3);
    const password = await storePassword(e2e.cluster.client, 'restart');
    assert.equal(await redisCommand(await masterServiceIp('restart'), password, 'SET', 'converged', 'ok'), 'OK');
    for (const pod of pods.filter((entry) => entry.role === 'replica')) {
      await waitFor(`data on ${pod.name}`, async () => (await redisCommand(pod.ip!, password, 'GET', 'converged')) === 'ok', 15_000);
    }
  });
});
