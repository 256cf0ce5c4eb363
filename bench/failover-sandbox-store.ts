/**
 * The sandbox side of the failover benchmark: a sandbox with the CRDs, the reconciler running in this process with
 * its log captured (the health monitor's "master down" line is how detection is observed), one KVStore, and the
 * polls the trials need (healthy, revisions, a pod answering again, a replica promoted).
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { runReconciler, type RunningReconciler } from '../reconciler/controller/main.js';
import { paths } from '../kube/paths.js';
import { createLogger } from '../shared/logger.js';
import type { Engine } from '../shared/schema/kvstore.js';
import {
  getStore, kvstore, listStorePods, startSandboxCluster, storePassword, type E2eCluster, type PodInfo,
} from '../harness/sandbox-cluster.js';
import { waitFor } from '../harness/wait-for.js';

export interface MasterDownLine {
  atMs: number;
  store: string;
  master: string;
  trigger: string;
}

/**
 * Parses the reconciler's JSON log. The monitor's masterDown handler logs "master down" at the moment it records the
 * detection (runtime.masterDown.detectedAtMs), and pino stamps the line with Date.now(): the same clock as the kill.
 * status.lastFailover.time is cut to whole seconds, so it cannot give a detection time to the millisecond.
 */
export class ReconcilerLog extends Writable {
  readonly masterDown: MasterDownLine[] = [];
  /** The reconciler's "switchover" info lines (logged when FAILOVER TO returned): when, and how long it took. */
  readonly switchovers: Array<{ atMs: number; durationMs: number; ok: boolean }> = [];
  /** Warnings and errors (pino level 40 and above), for the count at the end. */
  readonly warnings: string[] = [];
  private pending = '';

  constructor(private readonly echo: boolean) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const lines = (this.pending + chunk.toString('utf8')).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.parse(line);
    callback();
  }

  private parse(line: string): void {
    if (!line.trim()) return;
    try {
      const entry = JSON.parse(line) as { level?: number; time?: number; msg?: string; store?: string; master?: string; trigger?: string; durationMs?: number; ok?: boolean };
      if ((entry.level ?? 0) >= 40 && this.echo) process.stderr.write(`${line}\n`);
      if (entry.msg === 'master down' && typeof entry.time === 'number') {
        this.masterDown.push({ atMs: entry.time, store: entry.store ?? '', master: entry.master ?? '', trigger: entry.trigger ?? '' });
      } else if (entry.msg === 'switchover' && typeof entry.time === 'number') {
        this.switchovers.push({ atMs: entry.time, durationMs: entry.durationMs ?? 0, ok: entry.ok === true });
      } else if ((entry.level ?? 0) >= 40) {
        this.warnings.push(entry.msg ?? line);
      }
    } catch {
      this.warnings.push(line);
    }
  }

  /** The first "master down" for `master` of `store` logged at or after `sinceMs`. */
  firstMasterDown(store: string, master: string, sinceMs: number): MasterDownLine | undefined {
    return this.masterDown.find((line) => line.store === store && line.master === master && line.atMs >= sinceMs);
  }
}

export interface SandboxStoreOptions {
  name: string;
  engine: Engine;
  downAfterMilliseconds: number;
  minReplicasToWrite: number;
  /** Echo the reconciler's warnings to stderr. */
  verbose: boolean;
}

export interface SandboxStore {
  cluster: E2eCluster;
  engine: Engine;
  /** The store's replication.minReplicasToWrite; the writer WAITs for that many replicas. */
  minReplicasToWrite: number;
  log: ReconcilerLog;
  name: string;
  /** namespace/name, as the reconciler logs it. */
  key: string;
  password: string;
  /** The master Service's ClusterIP, served by the sandbox service proxy. */
  service: { host: string; port: number; password: string };
  /** Ready with 3 ready pods, one master label that matches status.master, two replica labels. */
  healthy(timeoutMs?: number): Promise<PodInfo[]>;
  revisions(): Promise<{ update?: string; pods: string[] }>;
  stop(): Promise<void>;
}

const NAMESPACE = 'default';

export async function startSandboxStore(options: SandboxStoreOptions): Promise<SandboxStore> {
  const cluster = await startSandboxCluster();
  const log = new ReconcilerLog(options.verbose);
  let reconciler: RunningReconciler | undefined;
  const stop = async () => {
    await reconciler?.stop();
    await cluster.stop();
  };
  try {
    reconciler = await runReconciler({
      kubeConfig: cluster.kubeConfig, metricsPort: 0, leaderElect: false, policyAudit: false,
      // Info, not warn: the "switchover" line is logged at info.
      logger: createLogger('reconciler', { level: 'info', destination: log }),
    });
    const { name } = options;
    await cluster.client.create(paths.kvstores(NAMESPACE), kvstore(name, {
      engine: options.engine,
      replicas: 3,
      failover: { downAfterMilliseconds: options.downAfterMilliseconds },
      replication: { minReplicasToWrite: options.minReplicasToWrite },
    }));
    const healthy = async (timeoutMs = 180_000) => {
      // What was last seen goes into the timeout error: a stuck store is a finding, not just a timeout.
      let seen = '';
      try {
        return await waitFor(`${name} Ready`, async () => {
          const status = (await getStore(cluster.client, name)).status;
          const pods = await listStorePods(cluster.client, name);
          seen = JSON.stringify({ phase: status?.phase, readyReplicas: status?.readyReplicas, master: status?.master, conditions: status?.conditions?.filter((c) => c.status !== 'True' || c.type === 'Degraded').map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`), pods });
          if (status?.phase !== 'Ready' || status.readyReplicas !== 3) return undefined;
          const masters = pods.filter((pod) => pod.role === 'master');
          const ready = pods.length === 3 && pods.every((pod) => pod.ready && pod.ip) && masters.length === 1
            && masters[0]!.name === status.master && pods.filter((pod) => pod.role === 'replica').length === 2;
          return ready ? pods : undefined;
        }, timeoutMs, 100);
      } catch (error) {
        throw new Error(`${name} not healthy within ${timeoutMs} ms; last seen ${seen}`, { cause: error });
      }
    };
    await healthy();
    const password = await storePassword(cluster.client, name);
    const serviceIp = (await cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', NAMESPACE, name))).spec.clusterIP;
    return {
      cluster, engine: options.engine, minReplicasToWrite: options.minReplicasToWrite, log, name, key: `${NAMESPACE}/${name}`, password,
      service: { host: serviceIp, port: 6379, password },
      healthy,
      async revisions() {
        const sts = await cluster.client.get<{ status?: { updateRevision?: string } }>(paths.statefulSet(NAMESPACE, name));
        const list = await cluster.client.list<{ metadata: { labels?: Record<string, string>; deletionTimestamp?: string } }>(
          paths.core('pods', NAMESPACE), `app.kubernetes.io/instance=${name}`,
        );
        const live = list.items.filter((pod) => !pod.metadata.deletionTimestamp);
        return { update: sts.status?.updateRevision, pods: live.map((pod) => pod.metadata.labels?.['controller-revision-hash'] ?? '') };
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error('starting the sandbox store failed', { cause: error });
  }
}

/**
 * Polls ROLE on each replica every 25 ms until one answers as master: when the promotion (REPLICAOF NO ONE)
 * actually happened, to the poll period, whichever path decided it. Returns the pod and ms after `sinceMs`.
 */
export function watchPromotion(replicas: Array<{ name: string; ip: string }>, password: string, sinceMs: number, timeoutMs: number): { promoted: Promise<{ pod: string; afterMs: number } | undefined>; stop(): void } {
  let stopped = false;
  const clients = replicas.map((replica) => {
    const client = new Redis({ host: replica.ip, port: 6379, password, maxRetriesPerRequest: 0, commandTimeout: 500, connectTimeout: 500, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    return { name: replica.name, client };
  });
  const promoted = (async () => {
    try {
      while (!stopped && Date.now() - sinceMs < timeoutMs) {
        const roles = await Promise.all(clients.map(async ({ name, client }) => {
          try {
            const role = await client.call('ROLE');
            return Array.isArray(role) && role[0] === 'master' ? name : undefined;
          } catch {
            return undefined;
          }
        }));
        const pod = roles.find((name) => name !== undefined);
        if (pod) return { pod, afterMs: Date.now() - sinceMs };
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return undefined;
    } finally {
      for (const { client } of clients) client.disconnect();
    }
  })();
  return { promoted, stop: () => { stopped = true; } };
}
