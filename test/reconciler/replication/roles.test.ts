/** Role assignment on real processes: two masters converge to one, and a cold start elects the pod with most data. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { assignRoles } from '../../../reconciler/replication/failover.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { command, RedisFleet } from './redis-processes.js';
import { missingKeys, podOf, startTopology, waitForSync, writeKeys } from './topology.js';
import { waitFor } from '../../helpers/wait-for.js';

const fleet = new RedisFleet();
after(async () => fleet.stopAll());
const PASSWORD = 'roles-secret';

test('two masters (REPLICAOF NO ONE by hand): the side with more writes since the split keeps the role', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [a, b, c] = topology.pods;
  const shared = await writeKeys(a!.endpoint, 'shared', 100);
  assert.equal(await command(a!.endpoint, 'WAIT', 2, 5000), 2);
  await command(b!.endpoint, 'REPLICAOF', 'NO', 'ONE');
  const onA = await writeKeys(a!.endpoint, 'on-a', 5);
  const onB = await writeKeys(b!.endpoint, 'on-b', 80);

  const outcome = await assignRoles(topology.pods, { masterauth: PASSWORD });
  assert.equal(outcome.decision.kind, 'split-brain');
  assert.equal(outcome.master?.pod, 's-1');
  assert.deepEqual(outcome.decision.demote.map((d) => d.pod), ['s-0']);
  assert.match(outcome.decision.reason, /since the split/);
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  const demoted = await probeEngine(a!.endpoint, 1000);
  assert.ok(demoted.reachable && demoted.state.role === 'replica' && demoted.state.masterPort === b!.endpoint.port);
  await waitForSync(b!.endpoint, 2);
  for (const pod of [a!, b!, c!]) assert.deepEqual(await missingKeys(pod.endpoint, [...shared, ...onB]), [], pod.pod);
  // The loser's writes since the split are gone: that is what "demoted" costs, and why the reason is reported.
  assert.equal((await missingKeys(b!.endpoint, onA)).length, onA.length);
});

test('cold start: every pod boots fenced and the pod with the most data becomes master, not ordinal 0', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD);
  const [p0, p1, p2] = topology.processes;
  const [s0, s1, s2] = topology.pods;
  const first = await writeKeys(s0!.endpoint, 'cold', 100);
  assert.equal(await command(s0!.endpoint, 'WAIT', 2, 5000), 2);
  await command(s1!.endpoint, 'SAVE');
  const second = await writeKeys(s0!.endpoint, 'cold2', 50);
  assert.equal(await command(s0!.endpoint, 'WAIT', 2, 5000), 2);
  await command(s2!.endpoint, 'SAVE');
  // Power loss: everything dies; s-0 also lost its disk.
  await Promise.all(topology.processes.map((p) => fleet.kill(p)));
  rmSync(join(p0!.dir, 'dump.rdb'), { force: true });
  const restarted = await Promise.all([p0!, p1!, p2!].map((p) => fleet.start({ host: p.host, port: p.port, dir: p.dir, password: PASSWORD, fenced: true })));
  const pods = restarted.map((p, i) => podOf(p, i, PASSWORD));
  for (const pod of pods) {
    const probe = await probeEngine(pod.endpoint, 1000);
    assert.ok(probe.reachable && probe.state.fenced, `${pod.pod} boots fenced`);
  }
  const outcome = await assignRoles(pods, { masterauth: PASSWORD });
  assert.equal(outcome.decision.kind, 'cold-start');
  assert.equal(outcome.master?.pod, 's-2', outcome.decision.reason);
  assert.ok(outcome.report?.ok, JSON.stringify(outcome.report?.steps));
  await waitForSync(pods[2]!.endpoint, 2);
  for (const pod of pods) {
    await waitFor(`${pod.pod} holds every key`, async () => (await missingKeys(pod.endpoint, [...first, ...second])).length === 0);
  }
  // Running it again changes nothing.
  const again = await assignRoles(pods, { masterauth: PASSWORD });
  assert.equal(again.decision.kind, 'keep');
  assert.ok(again.report?.steps.every((s) => s.outcome === 'skipped'), JSON.stringify(again.report?.steps));
});

test('a new store: nobody holds data, ordinal 0 becomes master', async () => {
  const hosts = ['a', 'b', 'c'].map((_, i) => `127.0.${30 + Math.floor(Math.random() * 200)}.${i + 10}`);
  const processes = await Promise.all(hosts.map((host) => fleet.start({ host, password: PASSWORD, fenced: true })));
  const pods = processes.map((p, i) => podOf(p, i, PASSWORD));
  const outcome = await assignRoles(pods, { masterauth: PASSWORD });
  assert.equal(outcome.decision.kind, 'bootstrap');
  assert.equal(outcome.master?.pod, 's-0');
  await waitForSync(pods[0]!.endpoint, 2);
  assert.equal(await command(pods[0]!.endpoint, 'SET', 'hello', 'world'), 'OK');
  await waitFor('replicated', async () => (await command(pods[2]!.endpoint, 'GET', 'hello')) === 'world');
});
