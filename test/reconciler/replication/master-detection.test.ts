/**
 * Detection on real redis-server processes: when the health monitor declares a master down, and when it must not.
 * What the controller does next is tested in test/reconciler/controller/plan-topology-processes.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HealthMonitor, type MasterDownEvent, type MasterUnreachableEvent, type MonitoredStore, type ReplicaDisconnectedEvent,
} from '../../../reconciler/replication/health-monitor.js';
import { checkReplicaView, replicaStaleAfterSeconds } from '../../../reconciler/replication/monitor-channels.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { command, RedisFleet } from '../../../harness/redis-processes.js';
import { startTcpProxy, type TcpProxy } from '../../../harness/tcp-proxy.js';
import { missingKeys, startTopology, waitForSync, writeKeys, type Topology } from '../../../harness/topology.js';
import { waitFor } from '../../../harness/wait-for.js';

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

function watchFor(store: MonitoredStore): { monitor: HealthMonitor; downs: MasterDownEvent[]; unreachable: MasterUnreachableEvent[] } {
  const monitor = new HealthMonitor({ intervalMs: 100 });
  monitors.push(monitor);
  const unreachable: MasterUnreachableEvent[] = [];
  monitor.on('masterUnreachable', (event) => unreachable.push(event));
  const downs: MasterDownEvent[] = [];
  monitor.on('masterDown', (event) => downs.push(event));
  monitor.watch(store);
  monitor.start();
  return { monitor, downs, unreachable };
}

test('the master restarts fenced faster than detection: it answers, but as a replica, so it is declared down', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [oldMaster] = topology.processes;
  const { downs } = watchFor(storeOf(topology));
  await fleet.kill(oldMaster!);
  await fleet.start({ host: oldMaster!.host, port: oldMaster!.port, password: PASSWORD, fenced: true });
  const event = await waitFor('masterDown', () => downs[0], 15_000, 50);
  assert.equal(event.master.pod, 's-0');
  const probe = await probeEngine(topology.pods[0]!.endpoint, 1000);
  assert.ok(probe.reachable && probe.state.fenced, 'it answers, fenced');
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
