import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBgsave } from '../../../reconciler/snapshots/run-bgsave.js';
import { command, loopbackHosts, RedisFleet } from '../../../harness/redis-processes.js';
import { readKeyFromRdb } from './rdb-reader.js';
import { waitFor } from '../../../harness/wait-for.js';

const fleet = new RedisFleet();
const [masterHost, replicaHost, otherHost] = loopbackHosts(3);
const PASSWORD = 'snapshot-secret';

after(() => fleet.stopAll());

describe('runBgsave against redis-server', () => {
  it('on a master: the key written before the run is in the RDB file afterwards', async () => {
    const master = await fleet.start({ host: masterHost!, password: PASSWORD });
    await command(master, 'SET', 'before-save', 'on-master');
    const result = await runBgsave({ host: master.host, port: master.port, password: PASSWORD }, { pollIntervalMs: 20 });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(await readKeyFromRdb(join(master.dir, 'dump.rdb'), 'before-save'), 'on-master');
  });

  it('on a replica: the replica saves what it replicated', async () => {
    const master = await fleet.start({ host: otherHost!, password: PASSWORD });
    const replica = await fleet.start({ host: replicaHost!, password: PASSWORD, replicaOf: { host: master.host, port: master.port } });
    await waitFor('the replica link', async () => /master_link_status:up/.test(String(await command(replica, 'INFO', 'replication'))));
    // Written after the full sync, so the RDB the sync left on the replica's disk cannot hold it.
    await command(master, 'SET', 'after-sync', 'on-replica');
    await waitFor('the key on the replica', async () => (await command(replica, 'GET', 'after-sync')) === 'on-replica');
    const result = await runBgsave({ host: replica.host, port: replica.port, password: PASSWORD }, { pollIntervalMs: 20 });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(await readKeyFromRdb(join(replica.dir, 'dump.rdb'), 'after-sync'), 'on-replica');
  });

  it('a data dir the engine cannot write: Failed with BgsaveFailed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redwing-snapshot-gone-'));
    const proc = await fleet.start({ host: masterHost!, dir, args: ['--logfile', ''] });
    await command(proc, 'SET', 'k', 'v');
    // The engine's working directory disappears (a lost or unmounted volume): the save child cannot create its file.
    rmSync(dir, { recursive: true, force: true });
    const result = await runBgsave({ host: proc.host, port: proc.port }, { pollIntervalMs: 20 });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'BgsaveFailed', JSON.stringify(result));
  });

  it('a killed pod: Failed with EngineUnreachable', async () => {
    const proc = await fleet.start({ host: masterHost!, password: PASSWORD });
    await fleet.kill(proc);
    const result = await runBgsave({ host: proc.host, port: proc.port, password: PASSWORD }, { connectTimeoutMs: 500 });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'EngineUnreachable');
    assert.match(!result.ok ? result.error : '', /cannot connect/);
  });

  it('a wrong password is a failure with the reason, not a throw', async () => {
    const proc = await fleet.start({ host: masterHost!, password: PASSWORD });
    const result = await runBgsave({ host: proc.host, port: proc.port, password: 'wrong' }, { connectTimeoutMs: 500 });
    assert.equal(!result.ok && result.reason, 'EngineUnreachable');
    assert.match(!result.ok ? result.error : '', /WRONGPASS|invalid/i);
  });
});
