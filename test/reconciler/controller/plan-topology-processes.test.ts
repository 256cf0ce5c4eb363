/**
 * The failover the controller runs, on real redis-server processes: pods observed as a reconcile observes them
 * (observePods + probePods), planTopology, then executeTopology's promote/demote/repoint steps. These are the
 * scenarios the removed second path (replication/failover.ts) was tested with, now held against the live code.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import { HealthMonitor, type MasterDownEvent } from '../../../reconciler/replication/health-monitor.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { promoteToMaster } from '../../../reconciler/replication/promotion.js';
import { ENGINE_PORT } from '../../../shared/defaults.js';
import { command, RedisFleet } from '../../../harness/redis-processes.js';
import { ProcessStore } from '../../../harness/store-processes.js';
import { missingKeys, waitForSync, writeKeys } from '../../../harness/topology.js';
import { waitFor } from '../../../harness/wait-for.js';

const fleet = new RedisFleet();
const monitors: HealthMonitor[] = [];
after(async () => {
  for (const monitor of monitors) monitor.stop();
  await fleet.stopAll();
});

const PASSWORD = 'plan-topology-secret';

/** A store bootstrapped by the controller's own first pass, its replicas in sync. */
async function startStore(size = 3): Promise<ProcessStore> {
  const store = await ProcessStore.start(fleet, size, PASSWORD);
  const first = await store.reconcileTopology();
  assert.equal(first.plan.reason, 'Bootstrap');
  await waitForSync(store.endpoint(first.plan.master!), size - 1);
  return store;
}

/** The health monitor pointed at the store's master as the reconciler points it; its masterDown events, as they come. */
async function watchMaster(store: ProcessStore): Promise<MasterDownEvent[]> {
  const monitor = new HealthMonitor({ intervalMs: 100 });
  monitors.push(monitor);
  const downs: MasterDownEvent[] = [];
  monitor.on('masterDown', (event) => downs.push(event));
  await store.watch(monitor, 1000);
  monitor.start();
  return downs;
}

test('kill -9 the master: declared down, the best replica promoted, no acknowledged write lost; the old master back empty rejoins without wiping anyone; a second pass changes nothing', async () => {
  const store = await startStore();
  const keys = await writeKeys(store.endpoint('s-0'), 'k9', 300);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  const downs = await watchMaster(store);

  await fleet.kill(store.pod('s-0').process);
  const event = await waitFor('masterDown', () => downs[0], 15_000, 50);
  assert.equal(event.master.pod, 's-0');
  assert.ok(event.replicaViews.every((view) => !view.seesMaster), 'both replicas lost the link');
  const failover = await store.reconcileTopology({ masterDownConfirmed: true });
  const newMaster = failover.plan.master!;
  assert.equal(failover.plan.reason, 'MasterLost');
  assert.equal(failover.plan.previousMaster, 's-0');
  assert.equal(failover.plan.promote, newMaster);
  assert.notEqual(newMaster, 's-0');
  const other = newMaster === 's-1' ? 's-2' : 's-1';
  assert.deepEqual(await missingKeys(store.endpoint(newMaster), keys), [], 'every acknowledged key is on the new master');
  assert.equal(await command(store.endpoint(newMaster), 'SET', 'after-failover', '1'), 'OK');
  await waitForSync(store.endpoint(newMaster), 1);
  assert.deepEqual(await missingKeys(store.endpoint(other), [...keys, 'after-failover']), []);

  // The old master comes back from an empty disk, fenced by its config: a replica of nobody, refusing writes.
  await store.restart('s-0', { keepData: false });
  const fencedProbe = await probeEngine(store.endpoint('s-0'), 1000);
  assert.ok(fencedProbe.reachable && fencedProbe.state.fenced && fencedProbe.state.keys === 0);
  await assert.rejects(command(store.endpoint('s-0'), 'SET', 'x', '1'), /READONLY/);
  const rejoin = await store.reconcileTopology();
  assert.equal(rejoin.plan.master, newMaster);
  assert.equal(rejoin.plan.promote, undefined);
  assert.deepEqual(rejoin.plan.replicaOf.map((step) => step.pod), ['s-0']);
  await waitForSync(store.endpoint(newMaster), 2);
  assert.deepEqual(await missingKeys(store.endpoint(newMaster), keys), [], 'the returning empty pod wiped nothing');
  assert.deepEqual(await missingKeys(store.endpoint('s-0'), keys), []);
  // Running the same pass again converges without a second promotion.
  const again = await store.reconcileTopology();
  assert.equal(again.plan.promote, undefined);
  assert.deepEqual(again.plan.replicaOf, []);
  assert.equal(again.changed, false);
});

test('the master restarts empty faster than detection: it lost the role, so the controller fails over without waiting for the monitor; the replicas keep their data', async () => {
  const store = await startStore();
  const keys = await writeKeys(store.endpoint('s-0'), 'fast', 200);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  await fleet.kill(store.pod('s-0').process);
  await store.restart('s-0', { keepData: false });
  const failover = await store.reconcileTopology({ masterDownConfirmed: false });
  assert.equal(failover.plan.reason, 'MasterLost');
  assert.notEqual(failover.plan.promote, undefined);
  assert.deepEqual(await missingKeys(store.endpoint(failover.plan.master!), keys), []);
  for (const pod of ['s-1', 's-2']) assert.deepEqual(await missingKeys(store.endpoint(pod), keys), [], `${pod} kept its data`);
  // The empty old master is repointed at the new one in the same pass and resyncs from it.
  assert.ok(failover.plan.replicaOf.some((step) => step.pod === 's-0'));
  await waitFor('s-0 resynced', async () => (await missingKeys(store.endpoint('s-0'), keys)).length === 0, 15_000);
});

test('SIGSTOP the master (hung, port open): declared down through the silent replica links, then failed over', async () => {
  const store = await startStore();
  const frozen = store.pod('s-0').process;
  const keys = await writeKeys(store.endpoint('s-0'), 'hung', 200);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  const downs = await watchMaster(store);
  frozen.child.kill('SIGSTOP');
  try {
    const event = await waitFor('masterDown', () => downs[0], 20_000, 50);
    assert.ok(event.replicaViews.every((view) => view.status === 'stale' || view.status === 'link-down'), JSON.stringify(event.replicaViews));
    // The frozen master does not answer the probe: the controller fails over on the monitor's verdict only.
    const failover = await store.reconcileTopology({ masterDownConfirmed: true });
    assert.equal(failover.plan.reason, 'MasterLost');
    assert.deepEqual(await missingKeys(store.endpoint(failover.plan.master!), keys), []);
    assert.equal(await command(store.endpoint(failover.plan.master!), 'SET', 'after-hang', '1'), 'OK');
  } finally {
    frozen.child.kill('SIGKILL');
  }
});

test('a lagging replica is not elected: the one with the higher offset wins over the lower ordinal', async () => {
  const store = await startStore();
  await writeKeys(store.endpoint('s-0'), 'before', 50);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  // s-1 loses its link and cannot re-authenticate; writes acknowledged by s-2 (WAIT 1) go on without it.
  await command(store.endpoint('s-1'), 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await command(store.endpoint('s-1'), 'CLIENT', 'KILL', 'TYPE', 'master');
  await waitFor('s-1 link down', async () => { const p = await probeEngine(store.endpoint('s-1'), 500); return p.reachable && !p.state.masterLinkUp; });
  const keys = await writeKeys(store.endpoint('s-0'), 'lag', 200);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 1, 5000), 1);
  await fleet.kill(store.pod('s-0').process);
  await command(store.endpoint('s-1'), 'CONFIG', 'SET', 'masterauth', PASSWORD);
  const failover = await store.reconcileTopology({ masterDownConfirmed: true });
  assert.equal(failover.plan.master, 's-2', failover.plan.waiting);
  assert.equal(failover.plan.promote, 's-2');
  assert.deepEqual(await missingKeys(store.endpoint('s-2'), keys), []);
  // The lagging replica is repointed and catches up from the new master.
  await waitFor('s-1 caught up', async () => (await missingKeys(store.endpoint('s-1'), keys)).length === 0, 15_000);
});

test('the operator dies mid-failover (winner promoted, replicas not yet repointed): the next pass finishes without a second promotion', async () => {
  const store = await startStore();
  const keys = await writeKeys(store.endpoint('s-0'), 'mid', 100);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  await fleet.kill(store.pod('s-0').process);
  // The first pass got as far as promoting s-2, which took writes; s-1 still follows the lost master.
  const partial = await promoteToMaster({ pod: 's-2', endpoint: store.endpoint('s-2') });
  assert.equal(partial.outcome, 'done');
  await command(store.endpoint('s-2'), 'SET', 'written-between-runs', '1');
  // status.master still says s-0 (the status write never happened). Electing s-1 now would make a second master.
  const rerun = await store.reconcileTopology({ masterDownConfirmed: true });
  assert.equal(rerun.plan.master, 's-2');
  assert.equal(rerun.plan.reason, 'Existing');
  assert.equal(rerun.plan.promote, undefined);
  assert.deepEqual(rerun.plan.replicaOf.map((step) => step.pod), ['s-1']);
  await waitForSync(store.endpoint('s-2'), 1);
  assert.deepEqual(await missingKeys(store.endpoint('s-1'), [...keys, 'written-between-runs']), []);
});

test('two masters (REPLICAOF NO ONE by hand): the side with more writes since the split keeps the role, the other is demoted', async () => {
  const store = await startStore();
  const shared = await writeKeys(store.endpoint('s-0'), 'shared', 100);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  await command(store.endpoint('s-1'), 'REPLICAOF', 'NO', 'ONE');
  const onA = await writeKeys(store.endpoint('s-0'), 'on-a', 5);
  const onB = await writeKeys(store.endpoint('s-1'), 'on-b', 80);

  const pass = await store.reconcileTopology();
  assert.equal(pass.plan.reason, 'SplitBrain');
  assert.equal(pass.plan.master, 's-1');
  assert.deepEqual(pass.plan.replicaOf.map((step) => step.pod), ['s-0', 's-2']);
  assert.deepEqual(store.events.map((event) => event.reason), ['SplitBrainResolved']);
  const demoted = await probeEngine(store.endpoint('s-0'), 1000);
  assert.ok(demoted.reachable && demoted.state.role === 'replica' && demoted.state.masterHost === store.pod('s-1').process.host && demoted.state.masterPort === ENGINE_PORT);
  await waitForSync(store.endpoint('s-1'), 2);
  for (const pod of ['s-0', 's-1', 's-2']) assert.deepEqual(await missingKeys(store.endpoint(pod), [...shared, ...onB]), [], pod);
  // The loser's writes since the split are gone: that is what "demoted" costs, and why the Warning is recorded.
  assert.equal((await missingKeys(store.endpoint('s-1'), onA)).length, onA.length);
});

test('cold start: every pod boots fenced and the pod with the most data becomes master, not ordinal 0', async () => {
  const store = await startStore();
  const first = await writeKeys(store.endpoint('s-0'), 'cold', 100);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  await command(store.endpoint('s-1'), 'SAVE');
  const second = await writeKeys(store.endpoint('s-0'), 'cold2', 50);
  assert.equal(await command(store.endpoint('s-0'), 'WAIT', 2, 5000), 2);
  await command(store.endpoint('s-2'), 'SAVE');
  // Power loss: everything dies; s-0 also lost its disk.
  await Promise.all(store.pods.map((pod) => fleet.kill(pod.process)));
  rmSync(join(store.pod('s-0').process.dir, 'dump.rdb'), { force: true });
  for (const pod of store.pods) await store.restart(pod.name, { keepData: true });
  const observed = await store.observe();
  assert.ok(observed.pods.every((pod) => pod.engine?.state?.fenced), 'every pod boots fenced');
  // With status.master kept (s-0, back empty), the same pod is chosen.
  const withStatus = planTopology({ pods: observed.pods, knownMaster: 's-0', masterDownConfirmed: false, failoverEnabled: true, port: ENGINE_PORT });
  assert.equal(withStatus.master, 's-2', withStatus.waiting);

  store.knownMaster = undefined;
  const pass = await store.reconcileTopology();
  assert.equal(pass.plan.master, 's-2', pass.plan.waiting);
  assert.equal(pass.plan.reason, 'MostData');
  await waitForSync(store.endpoint('s-2'), 2);
  for (const pod of store.pods) {
    await waitFor(`${pod.name} holds every key`, async () => (await missingKeys(store.endpoint(pod.name), [...first, ...second])).length === 0);
  }
  const again = await store.reconcileTopology();
  assert.equal(again.plan.reason, 'Existing');
  assert.equal(again.changed, false);
});

test('a new store: nobody holds data, ordinal 0 becomes master and the others replicate from it', async () => {
  const store = await ProcessStore.start(fleet, 3, PASSWORD);
  const pass = await store.reconcileTopology();
  assert.equal(pass.plan.reason, 'Bootstrap');
  assert.equal(pass.plan.promote, 's-0');
  assert.deepEqual(store.pods.map((pod) => pod.roleLabel), ['master', 'replica', 'replica']);
  await waitForSync(store.endpoint('s-0'), 2);
  assert.equal(await command(store.endpoint('s-0'), 'SET', 'hello', 'world'), 'OK');
  await waitFor('replicated', async () => (await command(store.endpoint('s-2'), 'GET', 'hello')) === 'world');
});
