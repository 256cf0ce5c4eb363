/**
 * End to end on the sandbox: the reconciler is killed in the middle of a failover. It runs as a child process; the
 * master is killed, and the moment the reconciler logs that the winner answers as master (before it repoints the
 * other replica and moves the role labels) it gets SIGKILL. A new reconciler must finish the job from live roles,
 * labels and status: the same winner, no second promotion, every acknowledged write intact, writes through the
 * master Service, and the failover recorded.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import { startE2eCluster, type E2eCluster } from './e2e-helpers.js';
import { ChildReconciler, type LogEntry } from '../../../harness/child-reconciler.js';
import { FailoverStore, RoleWatcher } from './failover-store.js';

const isFailoverPromotion = (entry: LogEntry) => entry.msg === 'promoted master' && entry.reason === 'MasterLost';

describe('reconciler end to end: the reconciler killed mid-failover', { timeout: 400_000 }, () => {
  let cluster: E2eCluster;
  let store: FailoverStore;
  const reconcilers: ChildReconciler[] = [];

  before(async () => {
    cluster = await startE2eCluster();
    reconcilers.push(new ChildReconciler({ kubeconfigPath: cluster.reconcilerKubeconfigPath }));
    store = new FailoverStore(cluster, 'opcrash');
    await store.create();
  });

  after(async () => {
    for (const reconciler of reconcilers) await reconciler.stop();
    await cluster?.stop();
  });

  it('a new reconciler converges on the same winner without a second promotion, data intact', async (t) => {
    const first = reconcilers[0]!;
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const replicas = pods.filter((pod) => pod.role === 'replica');
    const entries = [await store.replicatedWrite(replicas), await store.replicatedWrite(replicas)];

    // Killed synchronously on the log line, before the reconciler's next step.
    const unsubscribe = first.onLog((entry) => {
      if (isFailoverPromotion(entry)) first.killNow();
    });
    await cluster.sandbox.faults.crashPod('default', master.name);
    const promotion = await first.waitForLog('the winner to be promoted', isFailoverPromotion, 90_000);
    unsubscribe();
    await first.waitForExit();
    const winner = String(promotion.pod);
    assert.ok(replicas.some((pod) => pod.name === winner), `${winner} was a replica of ${master.name}`);

    // What the killed reconciler left behind, for the record: roles, labels, status.
    const left = await store.pods();
    const roles = await Promise.all(left.map(async (pod) => {
      const role = await store.command(pod.ip!, 'ROLE').catch(() => ['unreachable']) as unknown[];
      const following = role[0] === 'slave' ? ` of ${String(role[1])}` : '';
      return `${pod.name}(${pod.ip})=${String(role[0])}${following}/label ${pod.role ?? 'none'}`;
    }));
    t.diagnostic(`left after SIGKILL: ${roles.join(' ')}; status.master=${(await store.store()).status?.master}`);

    const watcher = new RoleWatcher(store.password);
    watcher.watch(left);
    const second = new ChildReconciler({ kubeconfigPath: cluster.reconcilerKubeconfigPath });
    reconcilers.push(second);
    try {
      const failedOver = await store.expectFailover(master.name, entries);
      assert.equal(failedOver.status!.master, winner, 'the new reconciler kept the winner');
      await store.expectRejoined(winner, master.name, entries);
    } finally {
      await watcher.stop();
    }
    assert.deepEqual([...watcher.mastersSeen], [winner], 'no other pod was ever master after the restart');
    assert.deepEqual(second.entries.filter((entry) => entry.msg === 'promoted master').map((entry) => entry.pod), [], 'the new reconciler promoted nobody');
    const events = await cluster.client.list<{ reason: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    assert.ok(!events.items.some((event) => event.reason === 'SplitBrainResolved' && event.involvedObject.name === store.name), 'no split brain to resolve');
  });
});
