/**
 * A sandbox cluster with Redwing's CRDs and the reconciler's identity (its ServiceAccount with exactly the roles of
 * manifests/rbac/reconciler.yaml), and the reads of stores and their pods that the end-to-end tests and the failover
 * benchmark both make.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { identityFromManifests } from '../cli/service-account-identity.js';
import { KubeClient } from '../kube/client.js';
import { paths } from '../kube/paths.js';
import type { RbacUsage } from '../sandbox/apiserver/rbac/audit.js';
import { startSandbox, type RunningSandbox } from '../sandbox/cluster.js';
import { buildCrdManifests } from '../shared/crds.js';
import { ENGINES, type Engine, type KVStore } from '../shared/schema/kvstore.js';
import { sandboxTestLogger } from './sandbox-logger.js';
import { waitFor } from './wait-for.js';

export interface E2eCluster {
  sandbox: RunningSandbox;
  /** the admin identity, for the tests' own requests */
  kubeConfig: KubeConfig;
  client: KubeClient;
  /** the reconciler's identity: its ServiceAccount with the roles of manifests/rbac/reconciler.yaml */
  reconcilerKubeConfig: KubeConfig;
  /** the same identity as a kubeconfig file, for reconcilers run as child processes */
  reconcilerKubeconfigPath: string;
  stop(): Promise<void>;
}

export interface SandboxClusterOptions {
  holdPodsPending?: boolean;
  restartBackoffBaseMs?: number;
  logger?: Logger;
  /** Given what RBAC allowed and refused once the sandbox has stopped (the tests check it; a benchmark need not). */
  afterStop?: (usage: RbacUsage) => void;
}

export async function installCrds(client: KubeClient): Promise<void> {
  for (const crd of Object.values(buildCrdManifests())) {
    await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  }
  await waitFor('the KVStore API to be served', async () => {
    await client.list(paths.kvstores('default'));
    return true;
  }, 10_000, 50);
}

export async function startSandboxCluster(options: SandboxClusterOptions = {}): Promise<E2eCluster> {
  const dir = mkdtempSync(join(process.env.REDWING_E2E_DIR ?? '/var/tmp', 'redwing-reconciler-e2e-'));
  const sandbox = await startSandbox({
    dir, holdPodsPending: options.holdPodsPending, logger: options.logger ?? sandboxTestLogger(), restartBackoffBaseMs: options.restartBackoffBaseMs ?? 200,
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(sandbox.kubeconfigPath);
  const client = new KubeClient(kubeConfig);
  await installCrds(client);
  const reconcilerKubeConfig = await identityFromManifests(kubeConfig, 'reconciler');
  const reconcilerKubeconfigPath = join(dir, 'reconciler.kubeconfig');
  writeFileSync(reconcilerKubeconfigPath, reconcilerKubeConfig.exportConfig(), { mode: 0o600 });
  return {
    sandbox, kubeConfig, client, reconcilerKubeConfig, reconcilerKubeconfigPath,
    async stop() {
      client.close();
      const usage = sandbox.rbacUsage();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
      options.afterStop?.(usage);
    },
  };
}

/**
 * The engine of the stores the e2e tests create when they name none: `REDWING_E2E_ENGINE=valkey` runs the same
 * scenarios on valkey-server (by hand today; the engine matrix will set it).
 */
export const E2E_ENGINE = parseE2eEngine(process.env.REDWING_E2E_ENGINE);

function parseE2eEngine(value: string | undefined): Engine | undefined {
  if (value === undefined || value === '') return undefined;
  const engine = ENGINES.find((known) => known === value);
  if (!engine) throw new Error(`REDWING_E2E_ENGINE=${value}: expected one of ${ENGINES.join(', ')}`);
  return engine;
}

export function kvstore(name: string, spec: KVStore['spec'], namespace = 'default'): KVStore {
  const withEngine = E2E_ENGINE && spec?.engine === undefined ? { engine: E2E_ENGINE, ...spec } : spec;
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, namespace }, spec: withEngine };
}

export async function getStore(client: KubeClient, name: string, namespace = 'default'): Promise<KVStore> {
  return client.get<KVStore>(paths.kvstore(namespace, name));
}

export async function storePassword(client: KubeClient, name: string, namespace = 'default'): Promise<string> {
  const secret = await client.get<{ data: Record<string, string> }>(paths.coreObject('secrets', namespace, `${name}-auth`));
  return Buffer.from(secret.data.password!, 'base64').toString('utf8');
}

/**
 * Runs one command with a fresh connection that neither retries nor queues, so a refusal or an unreachable engine
 * fails the call at once; `options` says where and how (password, TLS, timeouts).
 */
export async function commandOnce(options: RedisOptions, command: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** Runs one command against host:port with a fresh connection. */
export async function redisCommand(host: string, password: string | undefined, command: string, ...args: string[]): Promise<unknown> {
  return commandOnce({ host, port: 6379, password, connectTimeout: 2000, commandTimeout: 3000 }, command, ...args);
}

/**
 * Waits until `host` takes `newPassword` and refuses `oldPassword`. Checked together: during a rotation both passwords
 * work for a moment (the new one is added everywhere before the old one is dropped), so a single try of the old
 * password right after the new one first works can still succeed.
 */
export async function waitForPasswordRotated(host: string, newPassword: string, oldPassword: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${host} to take the new password and refuse the old one`, async () => {
    if ((await redisCommand(host, newPassword, 'PING')) !== 'PONG') return false;
    return redisCommand(host, oldPassword, 'PING').then(() => false, (error: unknown) => /WRONGPASS|invalid|NOAUTH|closed/i.test(String(error)));
  }, timeoutMs);
}

export interface PodInfo {
  name: string;
  uid: string;
  ip?: string;
  role?: string;
  ready: boolean;
}

export async function listStorePods(client: KubeClient, name: string, namespace = 'default'): Promise<PodInfo[]> {
  const list = await client.list<{ metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string }; status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }>(
    paths.core('pods', namespace), `app.kubernetes.io/instance=${name}`,
  );
  return list.items.filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => ({
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    ip: pod.status?.podIP,
    role: pod.metadata.labels?.['redwing.dev/role'],
    ready: (pod.status?.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True'),
  })).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * Waits until the store reports Ready with `replicas` ready, and its pods are `replicas` with exactly one labelled
 * master (with `allPodsReady`, every pod Ready too). Returns the pods.
 */
export async function waitStoreReady(client: KubeClient, name: string, replicas: number, options: { timeoutMs?: number; allPodsReady?: boolean } = {}): Promise<PodInfo[]> {
  return waitFor(`${name} Ready with ${replicas}`, async () => {
    const store = await getStore(client, name);
    if (store.status?.phase !== 'Ready' || store.status.readyReplicas !== replicas) return undefined;
    const pods = await listStorePods(client, name);
    const oneMaster = pods.length === replicas && pods.filter((pod) => pod.role === 'master').length === 1;
    return oneMaster && (!options.allPodsReady || pods.every((pod) => pod.ready)) ? pods : undefined;
  }, options.timeoutMs ?? 180_000);
}
