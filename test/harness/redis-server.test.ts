import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, REDIS_SERVER, spawnRedisServer } from '../../harness/redis-server.js';

const hasRedis = spawnSync(REDIS_SERVER, ['--version']).status === 0;

describe('harness/redis-server', { skip: !hasRedis && `${REDIS_SERVER} is not installed (scripts/ensure-deps.mjs)` }, () => {
  it('resolves once the server answers, and the caller stops it', async () => {
    const port = await freePort();
    const ping = async (): Promise<boolean> => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    };
    const server = await spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], `redis on ${port}`, ping);
    assert.equal(server.child.exitCode, null);
    server.child.kill('SIGKILL');
    await server.exited;
  });

  it('fails at once with the server\'s own words when it exits before answering', async () => {
    // The early-exit error, not waitFor's 'timed out waiting for', which would come only after the whole wait.
    await assert.rejects(
      spawnRedisServer(['--port', String(await freePort()), '--no-such-option', 'x'], 'a misconfigured redis', () => false, 30_000),
      /a misconfigured redis: redis-server exited \(code 1.*no-such-option/s,
    );
  });
});
