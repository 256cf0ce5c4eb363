/** Failover end to end on real redis-server processes: detection, election, promotion, fencing, data. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { performFailover } from '../../../reconciler/replication/failover.js';
import {
  HealthMonitor, type MasterDownEvent, type MasterUnreachableEvent, type MonitoredStore, type ReplicaDisconnectedEvent,
} from '../../../reconciler/replication/health-monitor.js';
import { checkReplicaView, replicaStaleAfterSeconds } from '../../../reconciler/replication/monitor-channels.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { fenceReturningMaster, promoteToMaster } from '../../../reconciler/replication/promotion.js';
import { command, RedisFleet } from './redis-processes.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { missingKeys, startTopology, waitForSync, writeKeys, type Topology } from './topology.js';
import { waitFor } from '../../helpers/wait-for.js';

const fleet = new RedisFleet();
const monitors: HealthMonitor[] = [];
const proxies: TcpProxy[] = [];
after(async () => {
  for (const monitor of monitors) monitor.stop();
  for (const proxy of proxies) await proxy.close();
  await fleet.stopAll();
});

const PASSWORD = 'failover-secret';

function storeOf(topology: Topology, downAfterMilliseconds = 1000): MonitoredStore {
  const [master, ...replicas] = topology.pods;
  return {
    key: 'default/s', downAfterMilliseconds,
    master: { pod: master!.pod, endpoint: master!.endpoint },
    replicas: replicas.map((r) => ({ pod: r.pod, endpoint: r.endpoint })),
  };
}

function watchFor(store: MonitoredStore): { monitor: HealthMonitor; down: Promise<MasterDownEvent>; unreachable: MasterUnreachableEvent[] } {
  const monitor = new HealthMonitor({ intervalMs: 100 });
  monitors.push(monitor);
  const unreachable: MasterUnreachableEvent[] = [];
  monitor.on('masterUnreachable', (event) => unreachable.push(event));
  const down = new Promise<MasterDownEvent>((resolve) => monitor.once('masterDown', resolve));
  monitor.watch(store);
  monitor.start();
  return { monitor, down, unreachable };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

test('kill -9 the master: detected, the best replica promoted, no acknowledged write lost, the old master rejoins fenced without wiping anyone', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'k9', 300);
  // WAIT makes every write acknowledged by both replicas, as a client using WAIT would.
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 2, 5000), 2);
  const store = storeOf(topology);
  const { down, monitor } = watchFor(store);

  await fleet.kill(oldMaster!);
  const event = await withTimeout(down, 15_000, 'masterDown');
  assert.equal(event.master.pod, 's-0');
  assert.ok(event.replicaViews.every((view) => !view.seesMaster), 'both replicas lost the link');

  const outcome = await performFailover(topology.pods, { host: oldMaster!.host, port: oldMaster!.port }, { masterauth: PASSWORD });
  assert.equal(outcome.decision.kind, 'failover');
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  const newMaster = outcome.master!;
  assert.notEqual(newMaster.pod, 's-0');
  const other = topology.pods.find((p) => p.pod !== newMaster.pod && p.pod !== 's-0')!;
  assert.deepEqual(await missingKeys(newMaster.endpoint, keys), [], 'every acknowledged key is on the new master');
  assert.equal(await command(newMaster.endpoint, 'SET', 'after-failover', '1'), 'OK');
  await waitForSync(newMaster.endpoint, 1);
  assert.deepEqual(await missingKeys(other.endpoint, [...keys, 'after-failover']), []);
  monitor.watch({ ...store, master: { pod: newMaster.pod, endpoint: newMaster.endpoint }, replicas: [{ pod: other.pod, endpoint: other.endpoint }] });

  // The old master comes back from an empty disk, fenced by its config: a replica of nobody, refusing writes.
  const returned = await fleet.start({ host: oldMaster!.host, port: oldMaster!.port, password: PASSWORD, fenced: true });
  const fencedProbe = await probeEngine(topology.pods[0]!.endpoint, 1000);
  assert.ok(fencedProbe.reachable && fencedProbe.state.fenced && fencedProbe.state.keys === 0);
  await assert.rejects(command(topology.pods[0]!.endpoint, 'SET', 'x', '1'), /READONLY/);
  const step = await fenceReturningMaster({ pod: 's-0', endpoint: topology.pods[0]!.endpoint }, newMaster.endpoint, { masterauth: PASSWORD });
  assert.equal(step.outcome, 'done');
  await waitForSync(newMaster.endpoint, 2);
  assert.deepEqual(await missingKeys(newMaster.endpoint, keys), [], 'the returning empty pod wiped nothing');
  assert.deepEqual(await missingKeys({ host: returned.host, port: returned.port, password: PASSWORD }, keys), []);
  // Running the same failover again converges without a second promotion.
  const rerun = await performFailover(topology.pods.filter((p) => p.pod !== 's-0'), { host: oldMaster!.host, port: oldMaster!.port }, { masterauth: PASSWORD });
  assert.equal(rerun.decision.kind, 'resume');
  assert.equal(rerun.master?.pod, newMaster.pod);
  assert.ok(rerun.report?.steps.every((s) => s.outcome === 'skipped'), JSON.stringify(rerun.report?.steps));
});

test('the master restarts empty faster than detection: still failed over, the replicas keep their data', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'fast', 200);
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 2, 5000), 2);
  const { down } = watchFor(storeOf(topology));
  await fleet.kill(oldMaster!);
  await fleet.start({ host: oldMaster!.host, port: oldMaster!.port, password: PASSWORD, fenced: true });
  // It answers, but as a fenced replica: the monitor counts that as a lost master, the replicas cannot sync from it.
  const event = await withTimeout(down, 15_000, 'masterDown');
  assert.equal(event.master.pod, 's-0');
  const outcome = await performFailover(topology.pods, { host: oldMaster!.host, port: oldMaster!.port }, { masterauth: PASSWORD });
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  assert.deepEqual(await missingKeys(outcome.master!.endpoint, keys), []);
  for (const pod of topology.pods.slice(1)) assert.deepEqual(await missingKeys(pod.endpoint, keys), [], `${pod.pod} kept its data`);
});

test('SIGSTOP the master (hung, port open): detected through the silent replica links and failed over', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'hung', 200);
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 2, 5000), 2);
  const { down } = watchFor(storeOf(topology));
  oldMaster!.child.kill('SIGSTOP');
  const event = await withTimeout(down, 20_000, 'masterDown');
  assert.ok(event.replicaViews.every((view) => view.status === 'stale' || view.status === 'link-down'), JSON.stringify(event.replicaViews));
  const outcome = await performFailover(topology.pods, { host: oldMaster!.host, port: oldMaster!.port }, { masterauth: PASSWORD, probeTimeoutMs: 500 });
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  assert.deepEqual(await missingKeys(outcome.master!.endpoint, keys), []);
  assert.equal(await command(outcome.master!.endpoint, 'SET', 'after-hang', '1'), 'OK');
  oldMaster!.child.kill('SIGKILL');
});

test('a partition between the operator and the master only: reported, no failover', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [master] = topology.processes;
  // The operator's path to the master swallows every packet; the replicas' links stay up.
  const blackhole = await startTcpProxy(master!.host, undefined, { blackhole: true });
  proxies.push(blackhole);
  const store = storeOf(topology);
  store.master = { ...store.master, endpoint: { ...store.master.endpoint, port: blackhole.port }, replicationAddress: { host: master!.host, port: master!.port } };
  const { monitor, unreachable } = watchFor(store);
  let downs = 0;
  monitor.on('masterDown', () => { downs += 1; });
  await waitFor('the partition to be reported', async () => unreachable.length > 0, 10_000);
  // Keep writing for several down-after windows: the master stays master, no failover event.
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'part', 100);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(downs, 0);
  assert.equal(monitor.isDown('default/s'), false);
  assert.ok(unreachable[0]!.replicaViews.some((view) => view.seesMaster));
  const probe = await probeEngine(topology.pods[0]!.endpoint, 1000);
  assert.ok(probe.reachable && probe.state.role === 'master');
  await waitFor('replication still flowing to the replicas', async () => (await missingKeys(topology.pods[1]!.endpoint, keys)).length === 0);
});

test('a lagging replica is not elected: the one with the higher offset wins over the lower ordinal', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  await writeKeys(topology.pods[0]!.endpoint, 'before', 50);
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 2, 5000), 2);
  // s-1 loses its link and cannot re-authenticate; writes acknowledged by s-2 (WAIT 1) go on without it.
  await command(topology.pods[1]!.endpoint, 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await command(topology.pods[1]!.endpoint, 'CLIENT', 'KILL', 'TYPE', 'master');
  await waitFor('s-1 link down', async () => { const p = await probeEngine(topology.pods[1]!.endpoint, 500); return p.reachable && !p.state.masterLinkUp; });
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'lag', 200);
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 1, 5000), 1);
  await fleet.kill(oldMaster!);
  await command(topology.pods[1]!.endpoint, 'CONFIG', 'SET', 'masterauth', PASSWORD);
  const laggingProbe = await probeEngine(topology.pods[1]!.endpoint, 500);
  assert.ok(laggingProbe.reachable && laggingProbe.state.masterPort === oldMaster!.port, 's-1 still follows the lost master');
  const outcome = await performFailover(topology.pods, { host: oldMaster!.host, port: oldMaster!.port }, { masterauth: PASSWORD });
  assert.equal(outcome.master?.pod, 's-2', outcome.decision.reason);
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  assert.deepEqual(await missingKeys(outcome.master!.endpoint, keys), []);
  // The lagging replica catches up from the new master.
  await waitFor('s-1 caught up', async () => (await missingKeys(topology.pods[1]!.endpoint, keys)).length === 0, 15_000);
});

test('the operator dies mid-failover (winner promoted, replicas not yet repointed): the re-run finishes without a second promotion', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  const keys = await writeKeys(topology.pods[0]!.endpoint, 'mid', 100);
  assert.equal(await command(topology.pods[0]!.endpoint, 'WAIT', 2, 5000), 2);
  await fleet.kill(oldMaster!);
  const lost = { host: oldMaster!.host, port: oldMaster!.port };
  // The first run got as far as promoting s-2 and took writes there; s-1 still follows the lost master.
  const partial = await promoteToMaster({ pod: 's-2', endpoint: topology.pods[2]!.endpoint });
  assert.equal(partial.outcome, 'done');
  await command(topology.pods[2]!.endpoint, 'SET', 'written-between-runs', '1');
  // A fresh election would pick s-1 (the only replica of the lost master left): a second master. The re-run keeps s-2.
  const rerun = await performFailover(topology.pods, lost, { masterauth: PASSWORD });
  assert.equal(rerun.decision.kind, 'resume');
  assert.equal(rerun.master?.pod, 's-2');
  assert.deepEqual(rerun.report?.steps.map((s) => `${s.pod} ${s.action} ${s.outcome}`), ['s-2 promote skipped', 's-1 replicate done']);
  await waitForSync(topology.pods[2]!.endpoint, 1);
  assert.deepEqual(await missingKeys(topology.pods[1]!.endpoint, [...keys, 'written-between-runs']), []);
});

test('an idle master with a long ping period is not mistaken for a hung one', async () => {
  const topology = await startTopology(fleet, 2, PASSWORD, ['--repl-ping-replica-period', '10']);
  const [master, replica] = topology.pods;
  // Quiet for three seconds: past the stale threshold for a 1 s ping period, within one 10 s period.
  const quiet = await waitFor('a quiet replication link', async () => {
    const probe = await probeEngine(replica!.endpoint, 500);
    return probe.reachable && probe.state.masterLastIoSecondsAgo >= replicaStaleAfterSeconds(1000) ? probe.state : undefined;
  }, 15_000, 200);
  assert.equal(quiet.masterLinkUp, true);
  const view = await checkReplicaView({ pod: replica!.pod, endpoint: replica!.endpoint }, { endpoint: master!.endpoint }, 1000);
  assert.equal(view.status, 'link-up', view.detail);
  assert.equal(view.seesMaster, true);
});

test('triggerCheck after the master pod was deleted: declared down at once, without waiting downAfterMilliseconds', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const store = storeOf(topology, 60_000);
  const { monitor } = watchFor(store);
  const downs: MasterDownEvent[] = [];
  monitor.on('masterDown', (event) => downs.push(event));
  assert.equal(await monitor.triggerCheck(store.key, { skipDownAfter: true }), 'up');
  await fleet.kill(topology.processes[0]!);
  // The pod is gone (the informer saw the deletion): the replicas confirm, a 60 s down-after is not waited for.
  assert.equal(await waitFor('replicas to see the link down', async () => {
    const outcome = await monitor.triggerCheck(store.key, { skipDownAfter: true });
    return outcome === 'down' ? outcome : undefined;
  }, 10_000, 50), 'down');
  assert.equal(downs.length, 1);
  assert.equal(downs[0]!.trigger, 'triggered');
});

test('a replica promoted by hand (REPLICAOF NO ONE) is reported by the master\'s ping at once, with no failover', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const store = storeOf(topology);
  const { monitor } = watchFor(store);
  const disconnects: ReplicaDisconnectedEvent[] = [];
  monitor.on('replicaDisconnected', (event) => disconnects.push(event));
  await waitFor('the master answered a ping', async () => (await monitor.triggerCheck(store.key)) === 'up', 5_000, 50);
  assert.equal(await command(topology.pods[2]!.endpoint, 'REPLICAOF', 'NO', 'ONE'), 'OK');
  const event = await waitFor('the disconnect reported', async () => disconnects[0], 5_000, 50);
  assert.equal(event.master.pod, topology.pods[0]!.pod);
  assert.deepEqual([event.previously, event.connectedReplicas], [2, 1]);
  assert.equal(monitor.isDown(store.key), false);
});
