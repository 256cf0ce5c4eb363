import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { openRdbStream } from '../../../reconciler/backups/rdb-sync-stream.js';
import { command, loopbackHosts, RedisFleet } from '../../../harness/redis-processes.js';
import { readKeyFromRdb } from '../snapshots/rdb-reader.js';

describe('RDB over the replication protocol', () => {
  const fleet = new RedisFleet();
  const [host] = loopbackHosts(1) as [string];
  let dir = '';
  after(async () => {
    await fleet.stopAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const diskless of ['yes', 'no']) {
    it(`streams a loadable RDB with repl-diskless-sync ${diskless} (${diskless === 'yes' ? '$EOF mark' : '$length'} framing)`, async () => {
      const server = await fleet.start({ host, password: 'secret-pw', args: ['--repl-diskless-sync', diskless] });
      const value = 'v'.repeat(100_000);
      for (let index = 0; index < 50; index++) await command(server, 'SET', `key:${index}`, `${index}:${value}`);
      const stream = await openRdbStream({ host, port: server.port, password: 'secret-pw' });
      assert.equal(stream.sizeBytes === undefined, diskless === 'yes');
      dir ||= await mkdtemp(join(tmpdir(), 'redwing-rdb-stream-'));
      const file = join(dir, `dump-${diskless}.rdb`);
      await pipeline(stream.body, createWriteStream(file));
      if (stream.sizeBytes !== undefined) assert.equal((await stat(file)).size, stream.sizeBytes);
      assert.equal(await readKeyFromRdb(file, 'key:49'), `49:${value}`);
      // The engine serves clients as before and kept no replica behind (rdb-only).
      assert.equal(await command(server, 'GET', 'key:0'), `0:${value}`);
    });
  }

  it('names a refused password', async () => {
    const server = await fleet.start({ host, password: 'right' });
    await assert.rejects(openRdbStream({ host, port: server.port, password: 'wrong' }), /AUTH refused/);
  });
});
