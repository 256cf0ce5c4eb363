/** Coordinated switchover (FAILOVER TO) under continuous writes through a proxy playing the master Service. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodCandidate } from '../../../reconciler/replication/split-brain.js';
import { probeEngine, probeEngines } from '../../../reconciler/replication/probe.js';
import { pickSwitchoverTarget, switchover } from '../../../reconciler/replication/switchover.js';
import { command, RedisFleet } from '../../../harness/redis-processes.js';
import { startTcpProxy, type TcpProxy } from '../../../harness/tcp-proxy.js';
import { missingKeys, startTopology, waitForSync } from '../../../harness/topology.js';
import { Writer } from '../../../harness/writer.js';
import { waitFor } from '../../../harness/wait-for.js';

const fleet = new RedisFleet();
const proxies: TcpProxy[] = [];
after(async () => {
  for (const proxy of proxies) await proxy.close();
  await fleet.stopAll();
});

const PASSWORD = 'switch-secret';

test('switchover under writes: the in-sync replica takes over, no acknowledged write lost, the old master follows', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [master, ...replicas] = topology.pods;
  const proxy = await startTcpProxy('127.0.0.1', master!.endpoint);
  proxies.push(proxy);
  const writer = new Writer({ host: proxy.host, port: proxy.port, password: PASSWORD, prefix: 'sw', retryForMs: 1000 });
  await waitFor('writes flowing', async () => writer.report.acknowledged.length > 200);

  const masterProbe = await probeEngine(master!.endpoint, 1000);
  assert.ok(masterProbe.reachable);
  const probes = await probeEngines(replicas.map((r) => r.endpoint), 1000);
  const candidates: PodCandidate[] = replicas.map((r, i) => ({ pod: r.pod, ordinal: r.ordinal, host: r.endpoint.host, port: r.endpoint.port, state: probes[i]!.reachable ? (probes[i] as { state: PodCandidate['state'] }).state : undefined }));
  // Under writes a replica may trail by a few commands; a bounded lag is accepted, FAILOVER waits for it to catch up.
  const choice = pickSwitchoverTarget(masterProbe.state, candidates, { maxLagBytes: 1_000_000 });
  assert.ok(choice.target, choice.reason);
  const target = replicas.find((r) => r.pod === choice.target!.pod)!;
  const others = replicas.filter((r) => r !== target);

  const result = await switchover({ pod: master!.pod, endpoint: master!.endpoint }, { pod: target.pod, endpoint: target.endpoint }, {
    engine: 'redis', timeoutMs: 3000, masterauth: PASSWORD,
    otherReplicas: others.map((r) => ({ pod: r.pod, endpoint: r.endpoint })),
    onPromoted: () => proxy.setTarget(target.endpoint),
  });
  assert.ok(result.ok, `${result.detail} ${JSON.stringify(result.steps)}`);
  const countAtSwitch = writer.report.acknowledged.length;
  await waitFor('writes on the new master', async () => writer.report.acknowledged.length > countAtSwitch + 100);
  const report = await writer.stop();

  const newRole = await probeEngine(target.endpoint, 1000);
  assert.ok(newRole.reachable && newRole.state.role === 'master');
  const oldRole = await probeEngine(master!.endpoint, 1000);
  assert.ok(oldRole.reachable && oldRole.state.role === 'replica' && oldRole.state.masterPort === target.endpoint.port);
  assert.deepEqual(await missingKeys(target.endpoint, report.acknowledged), [], 'no acknowledged write lost');
  await waitForSync(target.endpoint, 2);
  assert.deepEqual(await missingKeys(master!.endpoint, report.acknowledged), []);
  // Running it again is a no-op that still reports success.
  const again = await switchover({ pod: master!.pod, endpoint: master!.endpoint }, { pod: target.pod, endpoint: target.endpoint }, { engine: 'redis', masterauth: PASSWORD });
  assert.ok(again.ok, again.detail);
  assert.match(again.detail, /already switched/);
  assert.equal(await command(target.endpoint, 'SET', 'after', '1'), 'OK');
});

test('pickSwitchoverTarget passes over a replica that lags, is syncing, or lost its link', async () => {
  const topology = await startTopology(fleet, 2, PASSWORD);
  const [master, replica] = topology.pods;
  const masterProbe = await probeEngine(master!.endpoint, 1000);
  const replicaProbe = await probeEngine(replica!.endpoint, 1000);
  assert.ok(masterProbe.reachable && replicaProbe.reachable);
  const candidate: PodCandidate = { pod: replica!.pod, ordinal: 1, host: replica!.endpoint.host, port: replica!.endpoint.port, state: replicaProbe.state };
  assert.equal(pickSwitchoverTarget(masterProbe.state, [candidate]).target?.pod, 's-1');
  const ahead = { ...masterProbe.state, replicationOffset: masterProbe.state.replicationOffset + 5000 };
  assert.match(pickSwitchoverTarget(ahead, [candidate], { maxLagBytes: 100 }).reason, /lags 5000 bytes/);
  assert.match(pickSwitchoverTarget(masterProbe.state, [{ ...candidate, state: { ...replicaProbe.state, masterSyncInProgress: true } }]).reason, /full sync/);
  assert.match(pickSwitchoverTarget(masterProbe.state, [{ ...candidate, state: { ...replicaProbe.state, masterLinkUp: false } }]).reason, /link to the master down/);
});
