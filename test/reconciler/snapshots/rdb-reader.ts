/**
 * Reads keys back out of an RDB file the way a restore would: a fresh redis-server (unix socket only, no TCP port)
 * loads a copy of the file, and the key is read through it. Checks data, not status fields.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { REDIS_SERVER } from '../replication/redis-processes.js';
import { waitFor } from '../../helpers/wait-for.js';

export async function readKeyFromRdb(rdbPath: string, key: string): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-rdb-check-'));
  copyFileSync(rdbPath, join(dir, 'restore.rdb'));
  const socket = join(dir, 'redis.sock');
  const child = spawn(REDIS_SERVER, ['--port', '0', '--unixsocket', socket, '--dir', dir, '--dbfilename', 'restore.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await waitFor('the restore server to load the RDB', async () => {
      if (client.status !== 'ready') await client.connect().catch(() => client.disconnect());
      const info = String(await client.call('INFO', 'persistence'));
      return /loading:0/.test(info);
    }, 10_000, 50);
    return (await client.call('GET', key)) as string | null;
  } finally {
    client.disconnect();
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
