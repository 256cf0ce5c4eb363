/**
 * Real redis-server processes for replication tests and the failover benchmark: each on its own loopback address
 * and a port chosen at run time, in a temp dir, stopped by `stopAll()`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { withEngineConnection } from '../reconciler/replication/engine-connection.js';
import { FENCE_MASTER_HOST, FENCE_MASTER_PORT } from '../reconciler/replication/info.js';
import { freePort, spawnRedisServer } from './redis-server.js';

export interface RedisProcessOptions {
  host: string;
  /** Reuse a port (restart in place); otherwise one is chosen at run time. */
  port?: number;
  /** Reuse a data dir (restart with data); otherwise a fresh empty one. */
  dir?: string;
  password?: string;
  /** Boot as a replica of the fence placeholder, as the rendered config does. */
  fenced?: boolean;
  replicaOf?: { host: string; port: number };
  args?: string[];
  /** Serve TLS only (port 0 for plain TCP), with this certificate; clients are not asked for certificates. */
  tls?: { certPem: string; keyPem: string; caPem: string };
  /** The server program (default REDIS_SERVER): valkey-server speaks the same flags. */
  binary?: string;
}

export interface RedisProcess {
  host: string;
  port: number;
  dir: string;
  password?: string;
  tls?: { ca: string };
  child: ChildProcess;
  exited: Promise<void>;
}

export function client(p: { host: string; port: number; password?: string }): Redis {
  const c = new Redis({ host: p.host, port: p.port, password: p.password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000, commandTimeout: 3000 });
  c.on('error', () => undefined);
  return c;
}

export async function command(p: { host: string; port: number; password?: string }, ...args: (string | number)[]): Promise<unknown> {
  const c = client(p);
  try {
    await c.connect();
    return await c.call(String(args[0]), ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

export class RedisFleet {
  private readonly processes = new Set<RedisProcess>();
  private readonly dirs = new Set<string>();

  async start(options: RedisProcessOptions): Promise<RedisProcess> {
    const port = options.port ?? await freePort(options.host);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'redwing-redis-'));
    this.dirs.add(dir);
    const args = ['--port', String(port), '--bind', options.host, '--dir', dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--replica-announce-ip', options.host, '--repl-ping-replica-period', '1', '--repl-diskless-sync-delay', '0', '--logfile', join(dir, 'redis.log')];
    if (options.password) args.push('--requirepass', options.password, '--masterauth', options.password);
    if (options.fenced) args.push('--replicaof', FENCE_MASTER_HOST, String(FENCE_MASTER_PORT), '--replica-read-only', 'yes');
    else if (options.replicaOf) args.push('--replicaof', options.replicaOf.host, String(options.replicaOf.port));
    if (options.tls) {
      writeFileSync(join(dir, 'tls.crt'), options.tls.certPem);
      writeFileSync(join(dir, 'tls.key'), options.tls.keyPem);
      writeFileSync(join(dir, 'ca.crt'), options.tls.caPem);
      args[1] = '0';
      args.push('--tls-port', String(port), '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'),
        '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no', '--tls-replication', 'yes');
    }
    args.push(...(options.args ?? []));
    const address = { host: options.host, port, password: options.password, tls: options.tls ? { ca: options.tls.caPem } : undefined };
    const { child, exited } = await spawnRedisServer(args, `redis on ${options.host}:${port}`,
      async () => (await withEngineConnection(address, { purpose: 'test' }, (c) => c.call('PING'))) === 'PONG', undefined, options.binary);
    const proc: RedisProcess = { ...address, dir, child, exited };
    this.processes.add(proc);
    void exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /** kill -9; resolves once the process is gone. */
  async kill(proc: RedisProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    proc.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await proc.exited;
  }

  async stopAll(): Promise<void> {
    for (const proc of [...this.processes]) {
      proc.child.kill('SIGCONT');
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** A distinct loopback address per test file so runs in parallel do not share listeners. */
export function loopbackHosts(count: number): string[] {
  const base = 20 + Math.floor(Math.random() * 200);
  return Array.from({ length: count }, (_, i) => `127.0.${base}.${10 + i}`);
}
