/**
 * Starting one redis-server for a test or a benchmark: the binary, a free port, and the wait until it answers. The
 * callers differ in how they configure it (a rendered config file, command-line flags, a unix socket) and in how they
 * ask it (redis-cli, ioredis), so both are theirs; the spawn, the wait and the clean-up are here once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait-for.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export interface RedisServerChild {
  child: ChildProcess;
  exited: Promise<void>;
}

/** A TCP port nothing listens on at `host` right now (the kernel's pick, released at once). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Spawns redis-server with `args` and resolves once `answers` is true. A server that exits before it answers (a bad
 * flag, a port taken) fails at once with the end of its stderr instead of after the whole wait; one that never
 * answers is killed before the error is thrown, so no test leaves it behind.
 */
export async function spawnRedisServer(args: string[], what: string, answers: () => Promise<boolean> | boolean, timeoutMs = 60_000, binary = REDIS_SERVER): Promise<RedisServerChild> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = `${output}${chunk.toString('utf8')}`.slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot start ${binary}`, { cause: error }))));
  const stoppedEarly = exited.then(() => {
    throw new Error(`${what}: redis-server exited (code ${child.exitCode}, signal ${child.signalCode}) before it answered: ${output.trim()}`);
  });
  try {
    await Promise.race([waitFor(what, async () => child.exitCode === null && await answers(), timeoutMs), stoppedEarly, spawnFailed]);
  } catch (error) {
    // A binary that did not start has no process to stop (and emits no exit).
    if (child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }
  return { child, exited };
}
