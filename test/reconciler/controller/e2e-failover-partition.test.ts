/**
 * End to end on the sandbox: a partition between the operator and the master only. The reconciler runs as a child
 * process under its own uid, and a policy-routing rule refuses that uid's connections to the master's pod IP, while
 * the replicas and the clients still reach it. The replicas vouch for the master, so there must be no failover:
 * writes through the master Service never fail, the master keeps its role and label, the store reports that its
 * master is not answering the operator, and everything is back to Ready once the partition heals.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connectAs, partition, partitionUnsupportedReason, type Partition } from '../../../sandbox/faults/partition.js';
import { startE2eCluster, waitFor, type E2eCluster } from './e2e-helpers.js';
import { ChildReconciler, readableKubeconfig } from '../../../harness/child-reconciler.js';
import { FailoverStore } from './failover-store.js';
import { errorMessage } from '../../../shared/error-message.js';

const OPERATOR_UID = 65534;
/** How long the partition is held after the operator has noticed it: many health ticks, confirmations and reconciles. */
const HOLD_PARTITION_MS = 8000;

const unsupported = await partitionUnsupportedReason();

describe('reconciler end to end: partition between the operator and the master only', { timeout: 400_000, skip: unsupported ? `partition fault unavailable: ${unsupported}` : false }, () => {
  let cluster: E2eCluster;
  let kubeconfig: { path: string; remove(): void };
  let reconciler: ChildReconciler;
  let store: FailoverStore;
  let cut: Partition | undefined;

  before(async () => {
    cluster = await startE2eCluster();
    kubeconfig = readableKubeconfig(cluster.reconcilerKubeconfigPath);
    reconciler = new ChildReconciler({ kubeconfigPath: kubeconfig.path, uid: OPERATOR_UID, gid: OPERATOR_UID });
    store = new FailoverStore(cluster, 'split');
    await store.create();
  });

  after(async () => {
    await cut?.heal();
    await reconciler?.stop();
    await cluster?.stop();
    kubeconfig?.remove();
  });

  it('no failover, no failed write, the store reports the unreachable master, and recovers on heal', async () => {
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const replicas = pods.filter((pod) => pod.role === 'replica');
    const entries = [await store.replicatedWrite(replicas)];
    assert.equal((await store.store()).status?.lastFailover, undefined, 'no failover before the partition');

    cut = await partition({ uid: OPERATOR_UID, toIp: master.ip! });
    const failedWrites: string[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        try {
          entries.push(await store.write());
        } catch (error) {
          failedWrites.push(errorMessage(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      assert.equal(await connectAs(OPERATOR_UID, master.ip!, 6379), 'EACCES', 'the operator uid is cut off from the master');
      assert.equal(await connectAs(OPERATOR_UID, replicas[0]!.ip!, 6379), 'connected', 'the operator still reaches the replicas');
      const noticed = await waitFor('the store to report that its master does not answer the operator', async () => {
        const available = (await store.store()).status?.conditions?.find((condition) => condition.type === 'Available');
        return available?.status === 'Unknown' && available.reason === 'MasterUnreachableFromOperator' ? available : undefined;
      }, 60_000, 200);
      assert.match(noticed.message ?? '', new RegExp(`${master.name} does not answer the operator, but .* still replicate from it: no failover`));
      assert.ok(reconciler.entries.some((entry) => entry.msg?.startsWith('master unreachable from the operator only') && entry.master === master.name), 'the reconciler logged the partition');
      await new Promise((resolve) => setTimeout(resolve, HOLD_PARTITION_MS));

      const during = await store.store();
      assert.equal(during.status?.master, master.name, 'status still records the same master');
      assert.equal(during.status?.lastFailover, undefined, 'no failover recorded');
      assert.equal(String((await store.command(master.ip!, 'ROLE') as unknown[])[0]), 'master', `${master.name} is still master`);
      for (const pod of replicas) {
        const role = await store.command(pod.ip!, 'ROLE') as unknown[];
        assert.deepEqual([String(role[0]), String(role[1])], ['slave', master.ip], `${pod.name} still follows ${master.name}`);
      }
      const labels = await store.pods();
      assert.deepEqual(labels.map((pod) => `${pod.name}=${pod.role}`), pods.map((pod) => `${pod.name}=${pod.role}`), 'role labels unchanged');
    } finally {
      writing = false;
      await writer;
      await cut.heal();
      cut = undefined;
    }
    assert.deepEqual(failedWrites, [], 'every write through the master Service succeeded during the partition');
    assert.ok(entries.length > 10, `writes were made during the partition (${entries.length})`);

    const healed = await store.healthy();
    assert.equal(healed.find((pod) => pod.role === 'master')?.name, master.name);
    await waitFor('the store Available again', async () => (await store.store()).status?.conditions?.some((condition) => condition.type === 'Available' && condition.status === 'True'), 60_000, 200);
    const final = await store.store();
    assert.equal(final.status?.master, master.name);
    assert.equal(final.status?.lastFailover, undefined, 'still no failover after healing');
    await store.expectEntries(entries);
    assert.deepEqual(reconciler.entries.filter((entry) => entry.msg === 'promoted master' && entry.reason !== 'Bootstrap').map((entry) => entry.pod), [], 'the reconciler promoted nobody');
  });
});
