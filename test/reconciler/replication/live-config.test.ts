/** Live settings on real redis-server processes: CONFIG SET, min-replicas-to-write, password rotation. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { applyConfigLive, configValue, minReplicasConfig, rotatePassword } from '../../../reconciler/replication/live-config.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { command, RedisFleet } from '../../../harness/redis-processes.js';
import { startTopology, waitForSync } from '../../../harness/topology.js';
import { waitFor } from '../../../harness/wait-for.js';

const fleet = new RedisFleet();
after(async () => fleet.stopAll());

test('configValue reads RESP2 arrays and RESP3 maps', () => {
  assert.equal(configValue(['maxmemory', '100'], 'maxmemory'), '100');
  assert.equal(configValue({ maxmemory: '100' }, 'maxmemory'), '100');
  assert.equal(configValue(new Map([['maxmemory', '7']]), 'maxmemory'), '7');
  // Dragonfly answers under its flag name: CONFIG GET tcp-keepalive -> tcp_keepalive (recorded), in either protocol.
  assert.equal(configValue(['tcp_keepalive', '300'], 'tcp-keepalive'), '300');
  assert.equal(configValue(new Map([['tcp_keepalive', '300']]), 'tcp-keepalive'), '300');
  assert.equal(configValue({ tcp_keepalive: '300' }, 'tcp-keepalive'), '300');
  assert.equal(configValue([], 'maxmemory-policy'), undefined);
  assert.equal(configValue([], 'maxmemory'), undefined);
});

test('applyConfigLive applies what CONFIG SET allows and reports restart-only and refused keys', async () => {
  const topology = await startTopology(fleet, 1, 'pw');
  const endpoint = topology.pods[0]!.endpoint;
  const wanted = { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru', databases: '32', 'no-such-setting': '1' };
  const first = await applyConfigLive(endpoint, wanted);
  assert.deepEqual(first.applied.sort(), ['maxmemory', 'maxmemory-policy']);
  assert.deepEqual(first.needsRestart.map((k) => k.key), ['databases']);
  assert.deepEqual(first.rejected.map((k) => k.key), ['no-such-setting']);
  assert.equal(configValue(await command(endpoint, 'CONFIG', 'GET', 'maxmemory'), 'maxmemory'), String(100 * 1024 * 1024));
  const second = await applyConfigLive(endpoint, { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' });
  assert.deepEqual(second.applied, []);
  assert.deepEqual(second.unchanged.sort(), ['maxmemory', 'maxmemory-policy']);
});

test('minReplicasToWrite: the master refuses writes without enough replicas, and accepts them again', async () => {
  const topology = await startTopology(fleet, 2, 'pw');
  const [master] = topology.pods;
  const strict = await applyConfigLive(master!.endpoint, minReplicasConfig(2, 5));
  assert.deepEqual(strict.applied.sort(), ['min-replicas-max-lag', 'min-replicas-to-write']);
  await assert.rejects(command(master!.endpoint, 'SET', 'k', '1'), /NOREPLICAS/);
  await applyConfigLive(master!.endpoint, minReplicasConfig(1, 5));
  assert.equal(await command(master!.endpoint, 'SET', 'k', '1'), 'OK');
});

test('password rotation is live: links stay up, a reconnecting replica and client use the new password', async () => {
  const topology = await startTopology(fleet, 3, 'old-password');
  const [master, ...replicas] = topology.pods;
  const connected = new Redis({ host: master!.endpoint.host, port: master!.endpoint.port, password: 'old-password', retryStrategy: () => null, lazyConnect: true });
  connected.on('error', () => undefined);
  await connected.connect();
  const runIds = await Promise.all(topology.pods.map(async (p) => { const r = await probeEngine(p.endpoint, 1000); return r.reachable ? r.state.runId : ''; }));

  const result = await rotatePassword(topology.pods.map((p) => ({ pod: p.pod, endpoint: p.endpoint })), 'new-password', 'old-password');
  assert.ok(result.ok, JSON.stringify(result.steps));
  assert.equal(result.usedFallback, false);

  const rotated = (endpoint: typeof master.endpoint) => ({ ...endpoint, password: 'new-password' });
  // No restart: same run ids.
  for (const [i, pod] of topology.pods.entries()) {
    const probe = await probeEngine(rotated(pod.endpoint), 1000);
    assert.ok(probe.reachable && probe.state.runId === runIds[i]);
  }
  await assert.rejects(command(master!.endpoint, 'PING'), /WRONGPASS|NOAUTH|closed/);
  // The client reconnects with the new password and carries on.
  connected.disconnect();
  const reconnected = new Redis({ host: master!.endpoint.host, port: master!.endpoint.port, password: 'new-password', retryStrategy: () => null, lazyConnect: true });
  reconnected.on('error', () => undefined);
  await reconnected.connect();
  assert.equal(await reconnected.set('after-rotation', '1'), 'OK');
  reconnected.disconnect();
  // Force every replica to reconnect: it must authenticate with the new masterauth.
  await command(rotated(master!.endpoint), 'CLIENT', 'KILL', 'TYPE', 'replica');
  await waitForSync(rotated(master!.endpoint), replicas.length);
  for (const replica of replicas) {
    await waitFor(`${replica.pod} has the post-rotation key`, async () => (await command(rotated(replica.endpoint), 'GET', 'after-rotation')) === '1');
  }
  // Re-running the rotation (a crash after it finished) converges.
  const rerun = await rotatePassword(topology.pods.map((p) => ({ pod: p.pod, endpoint: p.endpoint })), 'new-password', 'old-password');
  assert.ok(rerun.ok, JSON.stringify(rerun.steps));
});
