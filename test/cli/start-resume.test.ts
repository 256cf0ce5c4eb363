/**
 * Issue 18: every `npm start` wiped `.sandbox/`, so stores and their data never survived a restart. Now the sandbox
 * keeps its objects (apiserver-state.json) beside the pods' volumes: a store and its data come back after `redwing
 * start` is stopped and started again, and `--fresh` begins from nothing. The store is the one `redwing demo` makes
 * against the running `redwing start` (the first hour as the issue has it: `npm start`, then `redwing demo`).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { KubeClient } from '../../kube/client.js';
import { loadClusterAccess } from '../../kube/cluster-access.js';
import { paths } from '../../kube/paths.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { waitFor } from '../../harness/wait-for.js';
import { runCli, startCli, type RunningCli } from './cli-process.js';

const PORTS = ['--port', '0', '--webhook-metrics-port', '0', '--reconciler-metrics-port', '0', '--console-port', '0'];

async function start(dir: string, extra: string[] = []): Promise<RunningCli> {
  const cli = startCli(['start', '--dir', dir, ...PORTS, ...extra], { REDWING_LOG_FORMAT: 'json' });
  await cli.waitForLog('reconciler started', 90_000);
  return cli;
}

async function stop(cli: RunningCli): Promise<void> {
  cli.child.kill('SIGINT');
  const result = await cli.exited;
  assert.equal(result.code, 0, result.stderr);
}

async function readyStore(client: KubeClient, name: string): Promise<KVStore> {
  let store: KVStore | undefined;
  await waitFor(`KVStore ${name} Ready`, async () => {
    store = await client.getOptional<KVStore>(paths.kvstore('default', name));
    return store?.status?.phase === 'Ready' && store.status.readyReplicas === store.spec?.replicas;
  }, 90_000);
  return store!;
}

/** One command on the store's master through its Service, retried while the Service's proxy catches up. */
async function onMaster<T>(client: KubeClient, name: string, command: (redis: Redis) => Promise<T>): Promise<T> {
  const service = await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', name));
  const secret = await client.get<{ data: Record<string, string> }>(paths.coreObject('secrets', 'default', `${name}-auth`));
  const password = Buffer.from(secret.data.password!, 'base64').toString();
  let result: T | undefined;
  await waitFor(`a command on ${name}'s master`, async () => {
    const redis = new Redis({ host: service.spec.clusterIP, port: 6379, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      result = await command(redis);
      return true;
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  }, 20_000);
  return result!;
}

describe('redwing start: the sandbox survives restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-start-resume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a store and its data come back after stop and start; --fresh wipes them', async (t) => {
    const sandboxDir = join(dir, 'sandbox');
    let cli = await start(sandboxDir);
    // SIGINT first: the CLI then stops its pods' processes; SIGKILL only if it does not exit.
    t.after(async () => {
      if (cli.child.exitCode !== null) return;
      cli.child.kill('SIGINT');
      const timer = setTimeout(() => cli.child.kill('SIGKILL'), 5000);
      await cli.exited;
      clearTimeout(timer);
    });
    const client = new KubeClient(await loadClusterAccess(join(sandboxDir, 'kubeconfig')));
    const demo = await runCli(['demo', '--kill-master', '--dir', sandboxDir], { timeoutMs: 150_000, env: { REDWING_LOG_LEVEL: 'error' } });
    assert.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
    assert.match(demo.stdout, /cluster: the sandbox in .* \(npm start is running\)/);
    assert.match(demo.stdout, /keys lost: 0 of/);
    assert.match(demo.stdout, /the store default\/demo is kept/);
    const before = await readyStore(client, 'demo');
    assert.equal(await onMaster(client, 'demo', (redis) => redis.set('survives', 'the restart')), 'OK');
    await stop(cli);

    cli = await start(sandboxDir);
    // The kubeconfig is written anew (new API server certificate and port): read it again.
    const again = new KubeClient(await loadClusterAccess(join(sandboxDir, 'kubeconfig')));
    const after = await readyStore(again, 'demo');
    assert.equal(after.metadata?.uid, before.metadata?.uid, 'the same object, not a new one');
    assert.equal(await onMaster(again, 'demo', (redis) => redis.get('survives')), 'the restart');
    await stop(cli);

    cli = await start(sandboxDir, ['--fresh']);
    const fresh = new KubeClient(await loadClusterAccess(join(sandboxDir, 'kubeconfig')));
    assert.equal(await fresh.getOptional(paths.kvstore('default', 'demo')), undefined);
    await stop(cli);
  });
});
