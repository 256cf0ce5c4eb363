// The built objects run on the sandbox (API server, StatefulSet controller, process-backed kubelet with real
// redis-server): the pod spec starts (command, $(VAR) password arguments, ConfigMap/Secret/PVC volumes), every pod
// boots fenced and stays not ready, and the rendered readiness probe follows the roles the reconciler assigns.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig, type KubernetesObject, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import YAML from 'yaml';
import { startSandbox, type RunningSandbox } from '../../../sandbox/cluster.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { buildAuthSecret, buildDesiredObjects } from '../../../reconciler/desired/index.js';
import { applyObject, readObject } from '../../../reconciler/apply/index.js';
import { objectApi } from './object-api.js';
import { minimalStore } from '../desired/stores.js';

const CRD_DIR = new URL('../../../manifests/crds/', import.meta.url).pathname;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`, { cause: last });
}

function redisCli(ip: string, password: string, args: string[]): string {
  const result = spawnSync('redis-cli', ['--no-auth-warning', '-h', ip, '-p', '6379', ...args], {
    encoding: 'utf8', env: { ...process.env, REDISCLI_AUTH: password }, timeout: 5000,
  });
  return `${result.stdout}${result.stderr}`.trim();
}

const ready = (pod: V1Pod | undefined) => pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe('desired objects on the sandbox', () => {
  let sandbox: RunningSandbox;
  let kc: KubeConfig;
  let dir: string;
  let password: string;
  const pod = (name: string) => readObject<V1Pod>(kc, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' } });

  before(async () => {
    // Not under /tmp: the pods mount an emptyDir at /tmp, which would hide the sandbox's own volume directories
    // from the kubelet's bind mounts (it mounts the shortest container paths first).
    dir = mkdtempSync(join('/var/tmp', 'redwing-sandbox-pods-'));
    sandbox = await startSandbox({ dir });
    kc = new KubeConfig();
    kc.loadFromFile(sandbox.kubeconfigPath);
    for (const file of readdirSync(CRD_DIR)) await applyObject(kc, YAML.parse(readFileSync(join(CRD_DIR, file), 'utf8')) as KubernetesObject);
    await applyObject(kc, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const store: KVStore = minimalStore('redis');
    store.spec = { replicas: 2 };
    delete store.metadata.uid;
    // The owner must exist, or the garbage collector removes what we create.
    const created = await until('the KVStore CRD to be served', async () => objectApi(kc).create(store));
    const secret = buildAuthSecret(created)!;
    password = Buffer.from(secret.data!.password!, 'base64').toString();
    await objectApi(kc).create(secret as V1Secret);
    for (const object of Object.values(buildDesiredObjects(created))) await applyObject(kc, object);
  });

  after(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts every pod fenced: running, answering with the Secret password, not ready', async () => {
    for (const name of ['cache-0', 'cache-1']) {
      const running = await until(`${name} running`, async () => {
        const current = await pod(name);
        return current?.status?.podIP && current.status.containerStatuses?.[0]?.state?.running ? current : undefined;
      });
      const ip = running.status!.podIP!;
      const info = await until(`${name} to answer`, async () => {
        const out = redisCli(ip, password, ['INFO', 'replication']);
        return out.includes('role:') ? out : undefined;
      });
      assert.match(info, /master_host:127\.0\.0\.1/);
      assert.match(info, /master_port:1\r?\n/);
      assert.equal(ready(await pod(name)), false);
    }
  });

  it('a pod the reconciler promotes becomes ready, and so does its replica once in sync', async () => {
    const ip0 = (await pod('cache-0'))!.status!.podIP!;
    const ip1 = (await pod('cache-1'))!.status!.podIP!;
    assert.equal(redisCli(ip0, password, ['REPLICAOF', 'NO', 'ONE']), 'OK');
    await until('cache-0 ready', async () => (ready(await pod('cache-0')) ? true : undefined));
    assert.equal(redisCli(ip0, password, ['SET', 'k', 'v']), 'OK');
    assert.equal(redisCli(ip1, password, ['REPLICAOF', ip0, '6379']), 'OK');
    await until('cache-1 ready', async () => (ready(await pod('cache-1')) ? true : undefined));
    assert.equal(redisCli(ip1, password, ['GET', 'k']), 'v');
    assert.match(redisCli(ip0, password, ['INFO', 'replication']), new RegExp(`slave0:ip=${ip1.replaceAll('.', '\\.')},port=6379`),
      'the master lists the replica under its pod IP');
  });
});
