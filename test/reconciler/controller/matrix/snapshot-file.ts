/**
 * Reads a key back out of a pod's snapshot the way a restore would, with the engine's own server: the snapshot files
 * of the pod's volume (dump.rdb; dump-*.dfs on Dragonfly) are copied into a scratch folder, a fresh server of the
 * same engine loads them on a loopback port, and the key is read through it. Each engine reads its own format
 * (valkey 8 writes RDB 11, which redis-server 7.0 refuses), so this checks data, not a status field.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../../harness/redis-server.js';
import { waitFor } from '../../../../harness/wait-for.js';
import type { Engine } from '../../../../shared/schema/kvstore.js';

/** The snapshot files of `volumeDir` the engine loads on start (the operator sets dbfilename dump.rdb / dump). */
export function snapshotFiles(engine: Engine, volumeDir: string): string[] {
  if (!existsSync(volumeDir)) return [];
  const names = readdirSync(volumeDir);
  return engine === 'dragonfly' ? names.filter((name) => /^dump-.*\.dfs$/.test(name)) : names.filter((name) => name === 'dump.rdb');
}

function serverCommand(engine: Engine, dir: string, port: number): { binary: string; args: string[] } {
  if (engine === 'dragonfly') {
    const binary = process.env.REDWING_DRAGONFLY_BIN;
    if (!binary) throw new Error('REDWING_DRAGONFLY_BIN is not set: no Dragonfly to read a .dfs snapshot with');
    return { binary, args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--dbfilename', 'dump', '--proactor_threads=1', '--version_check=false'] };
  }
  return {
    binary: engine === 'valkey' ? 'valkey-server' : 'redis-server',
    args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
  };
}

/** The value of `key` in the snapshot `volumeDir` holds, or null when the snapshot lacks it. */
export async function keyInSnapshot(engine: Engine, volumeDir: string, key: string): Promise<string | null> {
  const files = snapshotFiles(engine, volumeDir);
  if (files.length === 0) throw new Error(`no ${engine} snapshot in ${volumeDir}`);
  const dir = mkdtempSync(join(tmpdir(), 'redwing-snapshot-check-'));
  for (const file of files) copyFileSync(join(volumeDir, file), join(dir, file));
  const port = await freePort();
  const { binary, args } = serverCommand(engine, dir, port);
  const child = spawn(binary, args, { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await waitFor(`${binary} to load the snapshot`, async () => {
      if (child.exitCode !== null) throw new Error(`${binary} exited with code ${child.exitCode} before loading the snapshot`);
      if (client.status !== 'ready') await client.connect().catch(() => client.disconnect());
      // Dragonfly loads asynchronously once the port is open: only loading:0 means every key is in.
      return /^loading:0\r?$/m.test(String(await client.call('INFO', 'persistence').catch(() => '')));
    }, 20_000, 50);
    return (await client.call('GET', key)) as string | null;
  } finally {
    client.disconnect();
    // A binary that never started (not found) has no process and may emit no exit.
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    if (child.pid !== undefined) await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
