/**
 * End to end on the sandbox: a lagging replica is not elected. The lower-ordinal replica is frozen (SIGSTOP) while
 * acknowledged writes (SET + WAIT 1) go to the master and the other replica; then it is thawed and the master killed
 * in the same moment. The replica with the higher offset must win over the lower ordinal, and no acknowledged write
 * may be lost (the lagging replica resyncs from the winner instead of wiping it).
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { parseInfo } from '../../../reconciler/replication/index.js';
import { useReconcilerOnSandbox } from './e2e-helpers.js';
import { FailoverStore } from './failover-store.js';

/** More than the kernel can buffer for a stopped reader on loopback, so the frozen replica surely lags behind. */
const VALUE_BYTES = 512 * 1024;
const LAGGING_WRITES = 32;

describe('reconciler end to end: a lagging replica is not elected', { timeout: 400_000 }, () => {
  let store: FailoverStore;

  const e2e = useReconcilerOnSandbox();

  before(async () => {
    store = new FailoverStore(e2e.cluster, 'lagging');
    await store.create();
  });

  it('the replica with the higher offset wins over the lower ordinal, with every acknowledged write', async () => {
    const pods = await store.healthy();
    const master = pods.find((pod) => pod.role === 'master')!;
    const [lagging, ahead] = pods.filter((pod) => pod.role === 'replica');
    assert.ok(lagging && ahead, 'two replicas, sorted by ordinal');
    const entries = [await store.replicatedWrite([lagging, ahead])];

    await e2e.cluster.sandbox.faults.freezePod('default', lagging.name);
    let thawed = false;
    try {
      const writer = new Redis({ host: store.serviceIp, port: 6379, password: store.password, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 15_000 });
      writer.on('error', () => undefined);
      try {
        for (let index = 0; index < LAGGING_WRITES; index += 1) {
          const key = `lag-${index}`;
          const value = `${key}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (index % 26)));
          assert.equal(await writer.set(key, value), 'OK');
          // Acknowledged by the master and the replica that is not frozen.
          assert.equal(await writer.call('WAIT', '1', '10000'), 1, `${key} reached the running replica`);
          entries.push({ key, value });
        }
      } finally {
        writer.disconnect();
      }
      const replication = parseInfo(String(await store.command(master.ip!, 'INFO', 'replication')));
      const masterOffset = Number(replication.master_repl_offset);
      const laggingOffset = Object.keys(replication).filter((field) => /^slave\d+$/.test(field))
        .map((field) => replication[field]!).filter((entry) => entry.includes(`ip=${lagging.ip},`))
        .map((entry) => Number(/offset=(\d+)/.exec(entry)?.[1] ?? 0))[0] ?? 0;
      assert.ok(masterOffset - laggingOffset > (LAGGING_WRITES / 2) * VALUE_BYTES, `${lagging.name} lags (${laggingOffset} of ${masterOffset})`);

      // Thawed first so it is a reachable candidate with the lower ordinal; the master dies a moment later, with the
      // rest of the stream still in its own buffers.
      await e2e.cluster.sandbox.faults.thawPod('default', lagging.name);
      thawed = true;
      await e2e.cluster.sandbox.faults.crashPod('default', master.name);
    } finally {
      if (!thawed) await e2e.cluster.sandbox.faults.thawPod('default', lagging.name).catch(() => undefined);
    }

    const failedOver = await store.expectFailover(master.name, entries);
    assert.equal(failedOver.status!.master, ahead.name, `${ahead.name} (higher offset) won over ${lagging.name} (lower ordinal)`);
    await store.expectRejoined(ahead.name, master.name, entries);
    await store.expectEntries(entries, `on ${lagging.name}`, lagging.ip!);
  });
});
