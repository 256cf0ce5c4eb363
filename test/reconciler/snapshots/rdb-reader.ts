/**
 * Reads keys back out of an RDB file the way a restore would: a fresh redis-server (unix socket only, no TCP port)
 * loads a copy of the file, and the key is read through it. Checks data, not status fields.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnRedisServer, type RedisServerChild } from '../../../harness/redis-server.js';

/** `binary`: the server that wrote the file can read it (a valkey 8 RDB is newer than redis 7 reads). */
export async function readKeyFromRdb(rdbPath: string, key: string, binary?: string): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-rdb-check-'));
  copyFileSync(rdbPath, join(dir, 'restore.rdb'));
  const socket = join(dir, 'redis.sock');
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  let server: RedisServerChild | undefined;
  try {
    server = await spawnRedisServer(['--port', '0', '--unixsocket', socket, '--dir', dir, '--dbfilename', 'restore.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')],
      'the restore server to load the RDB', async () => {
        if (client.status !== 'ready') await client.connect().catch(() => client.disconnect());
        const info = String(await client.call('INFO', 'persistence'));
        return /loading:0/.test(info);
      }, 10_000, binary);
    return (await client.call('GET', key)) as string | null;
  } finally {
    client.disconnect();
    server?.child.kill('SIGKILL');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
