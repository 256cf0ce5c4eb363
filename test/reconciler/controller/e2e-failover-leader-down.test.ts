/**
 * Issue 18, "failover waits for the lease": two reconcilers with leader election (child processes). The leader and
 * the master die at the same moment (SIGKILL and kill -9): the standby takes the short leader lease
 * (leader-runnables.ts) and promotes a replica, once, well before a 15 s lease would have let it. Then the new leader
 * is frozen (SIGSTOP, as a starved machine) while its master dies: the other reconciler promotes, and when the frozen
 * one wakes up it has stepped down on its own clock and promotes nobody. Every acknowledged write survives both.
 * The time from the fault to writes accepted again is measured in `npm run bench:failover-leader`.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import type { LeaseObject } from '../../../kube/leader-election.js';
import { LEADER_LEASE_NAME } from '../../../reconciler/controller/main.js';
import { startE2eCluster, waitFor, type E2eCluster } from './e2e-helpers.js';
import { ChildReconciler, type LogEntry } from '../../../harness/child-reconciler.js';
import { FailoverStore, RoleWatcher } from './failover-store.js';

const isPromotion = (entry: LogEntry) => entry.msg === 'promoted master';
/** downAfterMilliseconds (1000) + 3 s is the target; the slack is for a loaded 2-core CI machine. */
const BOUND_MS = 1000 + 3000 + 3000;

describe('reconciler end to end: failover while the leader is down', { timeout: 400_000 }, () => {
  let cluster: E2eCluster;
  let store: FailoverStore;
  const reconcilers: ChildReconciler[] = [];
  const start = () => {
    const reconciler = new ChildReconciler({ kubeconfigPath: cluster.reconcilerKubeconfigPath, args: ['--leader-elect'] });
    reconcilers.push(reconciler);
    return reconciler;
  };
  /** The reconciler holding the lease (its identity carries its pid), once the lease names a live one. */
  const leader = () => waitFor('a leader', async () => {
    const lease = await cluster.client.getOptional<LeaseObject>(paths.lease('redwing-system', LEADER_LEASE_NAME));
    const holder = lease?.spec?.holderIdentity ?? '';
    return reconcilers.find((reconciler) => reconciler.running && holder.includes(`-${reconciler.pid}-`));
  }, 30_000, 50);

  before(async () => {
    cluster = await startE2eCluster();
    start();
    start();
    store = new FailoverStore(cluster, 'leaderdown');
    await store.create();
  });

  after(async () => {
    for (const reconciler of reconcilers) { reconciler.thaw(); await reconciler.stop(); }
    await cluster?.stop();
  });

  it('the leader and the master killed together: the standby promotes once, within the bound', async (t) => {
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const replicas = pods.filter((pod) => pod.role === 'replica');
    const entries = [await store.replicatedWrite(replicas), await store.replicatedWrite(replicas)];
    const dying = await leader();
    const standby = reconcilers.find((reconciler) => reconciler !== dying && reconciler.running)!;
    const watcher = new RoleWatcher(store.password);
    watcher.watch(replicas);
    const faultAt = performance.now();
    dying.killNow();
    await cluster.sandbox.faults.crashPod('default', master.name);
    try {
      await store.writesAccepted(60_000);
      const elapsedMs = performance.now() - faultAt;
      t.diagnostic(`writes accepted again ${Math.round(elapsedMs)} ms after the leader and the master died`);
      assert.ok(elapsedMs < BOUND_MS, `writes accepted again after ${Math.round(elapsedMs)} ms`);
      const failedOver = await store.expectFailover(master.name, entries);
      await store.expectRejoined(failedOver.status!.master!, master.name, entries);
      assert.deepEqual(standby.entries.filter(isPromotion).map((entry) => entry.pod), [failedOver.status!.master], 'one promotion, by the standby');
      assert.equal(watcher.mastersSeen.size, 1, `masters seen: ${[...watcher.mastersSeen].join(', ')}`);
    } finally {
      await watcher.stop();
    }
    start();
  });

  it('a frozen leader steps down on its own clock: after it wakes it promotes nobody', async () => {
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const replicas = pods.filter((pod) => pod.role === 'replica');
    const entries = [await store.replicatedWrite(replicas)];
    const frozen = await leader();
    const promotionsBefore = frozen.entries.filter(isPromotion).length;
    const other = reconcilers.find((reconciler) => reconciler !== frozen && reconciler.running)!;
    const watcher = new RoleWatcher(store.password);
    watcher.watch(replicas);
    frozen.freeze();
    await cluster.sandbox.faults.crashPod('default', master.name);
    try {
      const failedOver = await store.expectFailover(master.name, entries);
      const winner = failedOver.status!.master!;
      await other.waitForLog('the other reconciler to promote', (entry) => isPromotion(entry) && entry.pod === winner, 30_000);
      frozen.thaw();
      await frozen.waitForLog('the woken leader to step down', (entry) => entry.msg === 'lost lease' || entry.msg === 'lease not renewed in time; stepping down', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await store.expectRejoined(winner, master.name, entries);
      assert.equal(frozen.entries.filter(isPromotion).length, promotionsBefore, 'the woken reconciler promoted nobody');
      assert.deepEqual([...watcher.mastersSeen], [winner]);
    } finally {
      frozen.thaw();
      await watcher.stop();
    }
  });
});
