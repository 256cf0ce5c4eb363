/**
 * The demo's store on the cluster, through kube/: create it (or reuse the one an earlier run left), wait until it is
 * Ready, and find what a client needs (the master Service's address, the password) and what the failover removes
 * (the master pod).
 */
import { Redis } from 'ioredis';
import { API_GROUP_VERSION, KVSTORE_KIND } from '../shared/api.js';
import { errorMessage } from '../shared/error-message.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import { paths } from '../kube/paths.js';

export interface DemoStoreRef {
  namespace: string;
  name: string;
}

export const ENGINES = ['redis', 'valkey', 'dragonfly'] as const;
export type DemoEngine = (typeof ENGINES)[number];

/** The store the demo installs: the defaults (the webhook fills them in) with the engine and size asked for. Pure. */
export function demoStoreManifest(ref: DemoStoreRef, engine: DemoEngine, replicas: number): KVStore {
  return {
    apiVersion: API_GROUP_VERSION, kind: KVSTORE_KIND,
    metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/part-of': 'redwing-demo' } },
    spec: { engine, replicas },
  } as KVStore;
}

/** Creates the store, or takes over one of the same name and engine (setting its replicas). Returns what to say. */
export async function ensureDemoStore(client: KubeClient, ref: DemoStoreRef, engine: DemoEngine, replicas: number): Promise<string> {
  const path = paths.kvstore(ref.namespace, ref.name);
  try {
    await client.create(paths.kvstores(ref.namespace), demoStoreManifest(ref, engine, replicas));
    return `created KVStore ${ref.namespace}/${ref.name} (${engine}, ${replicas} pods)`;
  } catch (error: unknown) {
    if (isNotFound(error)) throw new Error('the KVStore CRD is not installed on this cluster: install Redwing first (README, "Install on a cluster"), or run without a kubeconfig to use the sandbox', { cause: error });
    if (!isAlreadyExists(error)) throw new Error(`creating KVStore ${ref.namespace}/${ref.name} failed`, { cause: error });
  }
  const existing = await client.get<KVStore>(path);
  if (existing.spec?.engine !== engine) {
    throw new Error(`KVStore ${ref.namespace}/${ref.name} exists with engine ${String(existing.spec?.engine)}: delete it or pick another --name`);
  }
  if (existing.spec?.replicas !== replicas) await client.patch(path, { spec: { replicas } });
  return `using the existing KVStore ${ref.namespace}/${ref.name} (${engine}, ${replicas} pods)`;
}

/** A one-line summary of where the store is, for progress output. Pure. */
export function describeProgress(store: KVStore): string {
  const status = store.status;
  const waiting = status?.conditions?.find((condition) => condition.type === 'Available' && condition.status !== 'True');
  return `${status?.phase ?? 'Pending'}, ${status?.readyReplicas ?? 0}/${store.spec?.replicas ?? '?'} pods ready${waiting ? ` (${waiting.message})` : ''}`;
}

export function isReadyStore(store: KVStore, replicas: number): boolean {
  const status = store.status;
  return status?.phase === 'Ready' && status.readyReplicas === replicas && status.master !== undefined
    && status.observedGeneration === store.metadata?.generation;
}

/** Polls the store until it is Ready with every pod, reporting each change of its summary; bounded by `timeoutMs`. */
export async function waitForReadyStore(client: KubeClient, ref: DemoStoreRef, replicas: number, timeoutMs: number, report: (line: string) => void): Promise<KVStore> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const store = await client.get<KVStore>(paths.kvstore(ref.namespace, ref.name));
    if (isReadyStore(store, replicas)) return store;
    const line = describeProgress(store);
    if (line !== said) report(line);
    said = line;
    if (Date.now() > deadline) throw new Error(`KVStore ${ref.namespace}/${ref.name} was not Ready after ${Math.round(timeoutMs / 1000)} s: ${line}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export interface ClientAccess {
  host: string;
  port: number;
  password?: string;
}

function decodeSecretValue(secret: KubeObject & { data?: Record<string, string> }, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** The master Service's ClusterIP and the store's password (from the Secret the spec names). */
export async function clientAccess(client: KubeClient, store: KVStore): Promise<ClientAccess> {
  const namespace = store.metadata?.namespace ?? 'default';
  const name = store.metadata?.name ?? '';
  const service = await client.get<KubeObject & { spec?: { clusterIP?: string; ports?: Array<{ port: number }> } }>(paths.coreObject('services', namespace, name));
  const host = service.spec?.clusterIP;
  if (!host || host === 'None') throw new Error(`Service ${namespace}/${name} has no ClusterIP`);
  const access: ClientAccess = { host, port: service.spec?.ports?.[0]?.port ?? 6379 };
  const auth = store.spec?.authentication;
  if (auth?.enabled !== false && auth?.passwordFromSecret) {
    const secret = await client.get<KubeObject & { data?: Record<string, string> }>(paths.coreObject('secrets', namespace, auth.passwordFromSecret.name));
    access.password = decodeSecretValue(secret, auth.passwordFromSecret.key);
  }
  return access;
}

export type RemoveMaster = 'kill' | 'delete';

/**
 * Removes the master: `kill` stops its engine process at once without saving (SHUTDOWN NOSAVE NOW: connections
 * drop as on a crash, and the kubelet restarts the container, fenced), `delete` deletes its pod as
 * `kubectl delete pod` does. Returns what was done, in words.
 */
export async function removeMaster(client: KubeClient, store: KVStore, how: RemoveMaster, password: string | undefined): Promise<string> {
  const namespace = store.metadata?.namespace ?? 'default';
  const master = store.status?.master;
  if (!master) throw new Error('the store has no master to remove');
  if (how === 'delete') {
    await client.delete(paths.coreObject('pods', namespace, master));
    return `deleted pod ${master} (the master)`;
  }
  const pod = await client.get<KubeObject & { status?: { podIP?: string } }>(paths.coreObject('pods', namespace, master));
  const ip = pod.status?.podIP;
  if (!ip) throw new Error(`pod ${master} has no IP`);
  const engine = new Redis({ host: ip, port: 6379, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  engine.on('error', () => undefined);
  try {
    await engine.connect();
    // The reply never comes: the server exits. Dragonfly knows no NOW.
    const args = store.spec?.engine === 'dragonfly' ? ['NOSAVE'] : ['NOSAVE', 'NOW'];
    await engine.call('SHUTDOWN', ...args).catch((error: unknown) => {
      if (/ERR/.test(errorMessage(error))) throw error;
    });
    return `killed the engine of ${master} (the master, ${ip}): SHUTDOWN ${args.join(' ')}`;
  } catch (error: unknown) {
    throw new Error(`stopping the master ${master} at ${ip}:6379 failed`, { cause: error });
  } finally {
    engine.disconnect();
  }
}
