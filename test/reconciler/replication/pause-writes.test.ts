/**
 * pauseWrites on real redis-server processes: a master going away takes no write once paused (reads still answer),
 * and the offset it reports then is what a replica reaches; a master that is gone gives undefined at once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseWrites } from '../../../reconciler/replication/pause-writes.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { client, RedisFleet } from '../../../harness/redis-processes.js';
import { startTopology } from '../../../harness/topology.js';
import { waitFor } from '../../../harness/wait-for.js';

const fleet = new RedisFleet();
after(() => fleet.stopAll());

test('a paused master refuses to take writes, still answers reads, and its offset then is what its replica reaches', async () => {
  const topology = await startTopology(fleet, 2, 'pause-secret');
  const [master, replica] = topology.pods;
  const writer = client(master!.endpoint);
  await writer.connect();
  try {
    assert.equal(await writer.set('before', '1'), 'OK');
    const paused = await pauseWrites(master!.endpoint, 2000, 500);
    assert.ok(paused?.offset !== undefined && paused.offset > 0, 'the offset once paused');
    // A write now waits for the pause to end (the client's 3 s command timeout is longer than the 2 s pause).
    const startedAt = Date.now();
    const write = writer.set('during', '1');
    assert.equal(await writer.get('before'), '1', 'reads still answer');
    assert.equal(await write, 'OK');
    assert.ok(Date.now() - startedAt >= 1500, `the write waited out the pause (${Date.now() - startedAt} ms)`);
    const offset = paused.offset;
    await waitFor('the replica at the paused offset', async () => {
      const probe = await probeEngine(replica!.endpoint, 500);
      return probe.reachable && probe.state.replicationOffset >= offset;
    }, 5000, 20);
  } finally {
    writer.disconnect();
  }
});

test('a master that is gone: undefined within the timeout', async () => {
  const topology = await startTopology(fleet, 1, 'pause-secret');
  await fleet.kill(topology.processes[0]!);
  const startedAt = Date.now();
  assert.equal(await pauseWrites(topology.pods[0]!.endpoint, 2000, 300), undefined);
  assert.ok(Date.now() - startedAt < 2000);
});
