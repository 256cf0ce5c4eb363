/**
 * End to end on the sandbox: the master's node is lost (its kubelet stops; the master's process freezes with its
 * port open, the Node turns NotReady and the pod's Ready condition Unknown). A replica must take over without
 * waiting for Kubernetes to give up on the pod, every acknowledged write must survive, and when the node comes back
 * the old master, still believing it is master, must be demoted rather than kept.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { useReconcilerOnSandbox } from './e2e-helpers.js';
import { FailoverStore } from './failover-store.js';

describe('reconciler end to end: failover when the master node is lost', { timeout: 400_000 }, () => {
  let store: FailoverStore;

  const e2e = useReconcilerOnSandbox();

  before(async () => {
    store = new FailoverStore(e2e.cluster, 'nodeloss');
    await store.create();
  });

  it('promotes a replica, keeps every acknowledged write, and demotes the old master when its node returns', async () => {
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const replicas = pods.filter((pod) => pod.role === 'replica');
    const entries = [await store.replicatedWrite(replicas), await store.replicatedWrite(replicas)];

    const node = await e2e.cluster.sandbox.faults.loseNodeOf('default', master.name);
    let restored = false;
    try {
      const failedOver = await store.expectFailover(master.name, entries);
      const newMaster = failedOver.status!.master!;
      assert.ok(replicas.some((pod) => pod.name === newMaster), `${newMaster} was a replica of the lost master`);
      // Writes taken while the node is away: the new master's history moves past the split point.
      const duringLoss = [await store.write(), await store.write()];
      entries.push(...duringLoss);

      await e2e.cluster.sandbox.faults.restoreNode(node);
      restored = true;
      await store.expectRejoined(newMaster, master.name, entries);
      await store.expectEntries(entries);
      assert.equal((await store.store()).status?.master, newMaster);
    } finally {
      if (!restored) await e2e.cluster.sandbox.faults.restoreNode(node).catch(() => undefined);
    }
  });
});
