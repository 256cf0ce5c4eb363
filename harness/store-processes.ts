/**
 * A store's pods as real redis-server processes, seen and changed the way the reconciler sees and changes them: each
 * process listens on the engine port at its own loopback address (a pod on its pod IP), is described by a V1Pod that
 * `observePods` reads, probed by `probePods`, planned by `planTopology` and changed by `executeTopology`, and the
 * health monitor is pointed at it by `watchStoreMaster`. Used by the failover benchmark and the process tests of the
 * live failover path, so both measure the code the controller runs rather than a copy of it.
 */
import { createServer } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { API_GROUP_VERSION, KVSTORE_KIND } from '../shared/api.js';
import { ENGINE_PORT } from '../shared/defaults.js';
import { LABEL_ROLE } from '../shared/labels.js';
import { createLogger } from '../shared/logger.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import { probePods, type ProbedPods } from '../reconciler/controller/engine-access.js';
import { executeTopology, type EngineActionContext } from '../reconciler/controller/engine-actions.js';
import { watchStoreMaster } from '../reconciler/controller/master-watch.js';
import { observePods } from '../reconciler/controller/observed.js';
import { planTopology, type TopologyPlan } from '../reconciler/controller/plan-topology.js';
import { observeMasterRole, type DataBounds } from '../reconciler/replication/data-bounds.js';
import type { EngineEndpoint } from '../reconciler/replication/engine-connection.js';
import type { HealthMonitor } from '../reconciler/replication/health-monitor.js';
import type { RedisFleet, RedisProcess } from './redis-processes.js';

export const STORE_NAME = 's';
export const STORE_NAMESPACE = 'default';
export const STORE_KEY = `${STORE_NAMESPACE}/${STORE_NAME}`;
/** The reconciler's default probe timeout (main.ts). */
const PROBE_TIMEOUT_MS = 1000;

export interface StorePod {
  name: string;
  ordinal: number;
  process: RedisProcess;
  roleLabel?: 'master' | 'replica';
  /** Deleted, evicted or on a lost node, as Kubernetes would report it. */
  terminating?: boolean;
}

export interface RecordedStoreEvent {
  type: string;
  reason: string;
  message: string;
}

export interface TopologyPass {
  plan: TopologyPlan;
  observed: ProbedPods;
  changed: boolean;
}

async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `count` loopback addresses whose engine port is free, in 127.2.0.0/16 (clear of the sandbox's pod and Service ranges). */
export async function engineHosts(count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = Math.floor(Math.random() * 256);
    const hosts = Array.from({ length: count }, (_, i) => `127.2.${base}.${10 + i}`);
    if ((await Promise.all(hosts.map((host) => portFree(host, ENGINE_PORT)))).every(Boolean)) return hosts;
  }
  throw new Error(`no free set of ${count} loopback addresses for port ${ENGINE_PORT}`);
}

export class ProcessStore {
  /** status.master: what the controller last recorded. */
  knownMaster?: string;
  /** What the health monitor's ROLE answers taught about the replicas' data (main.ts feeds the same). */
  dataBounds?: DataBounds;
  readonly events: RecordedStoreEvent[] = [];
  readonly context: EngineActionContext;
  readonly kvStore: KVStore = { apiVersion: API_GROUP_VERSION, kind: KVSTORE_KIND, metadata: { name: STORE_NAME, namespace: STORE_NAMESPACE } };

  constructor(readonly fleet: RedisFleet, readonly pods: StorePod[], readonly password: string | undefined) {
    this.context = {
      logger: createLogger('process-store', { level: process.env.REDWING_LOG_LEVEL ?? 'silent' }),
      events: { record: async (_involved, event) => { this.events.push({ type: event.type, reason: event.reason, message: event.message }); } },
    };
  }

  /** `size` pods booted fenced, as the rendered config boots them: nobody is master until a topology pass decides. */
  static async start(fleet: RedisFleet, size: number, password?: string, args: string[] = []): Promise<ProcessStore> {
    const hosts = await engineHosts(size);
    const processes = await Promise.all(hosts.map((host) => fleet.start({ host, port: ENGINE_PORT, password, fenced: true, args })));
    return new ProcessStore(fleet, processes.map((engine, ordinal) => ({ name: `${STORE_NAME}-${ordinal}`, ordinal, process: engine })), password);
  }

  pod(name: string): StorePod {
    const pod = this.pods.find((candidate) => candidate.name === name);
    if (!pod) throw new Error(`no pod ${name}`);
    return pod;
  }

  endpoint(name: string): EngineEndpoint {
    const engine = this.pod(name).process;
    return { host: engine.host, port: engine.port, password: this.password };
  }

  /** Restarts a pod's engine in place (same address, same data dir), booting fenced as the rendered config does. */
  async restart(name: string, options: { keepData: boolean }): Promise<void> {
    const pod = this.pod(name);
    pod.process = await this.fleet.start({ host: pod.process.host, port: ENGINE_PORT, password: this.password, fenced: true, dir: options.keepData ? pod.process.dir : undefined });
  }

  /** The pods as the API server would list them. */
  podObjects(): V1Pod[] {
    return this.pods.map((pod): V1Pod => ({
      metadata: { name: pod.name, namespace: STORE_NAMESPACE, labels: pod.roleLabel ? { [LABEL_ROLE]: pod.roleLabel } : {} },
      status: {
        phase: pod.terminating ? 'Unknown' : 'Running', podIP: pod.process.host,
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }));
  }

  /** What a reconcile sees: observePods, then probePods with the store's password. */
  async observe(): Promise<ProbedPods> {
    const observed = observePods(STORE_NAME, this.podObjects());
    return probePods(STORE_NAME, STORE_NAMESPACE, observed, { passwords: this.password === undefined ? [] : [this.password] }, PROBE_TIMEOUT_MS);
  }

  /**
   * One reconcile's topology phase: observe, plan, execute the plan's engine steps, then what reconcile-store does
   * with the result (role labels, status.master).
   */
  async reconcileTopology(options: { masterDownConfirmed: boolean; failoverEnabled?: boolean } = { masterDownConfirmed: false }): Promise<TopologyPass> {
    const observed = await this.observe();
    const plan = planTopology({
      pods: observed.pods, knownMaster: this.knownMaster, masterDownConfirmed: options.masterDownConfirmed,
      failoverEnabled: options.failoverEnabled ?? true, port: ENGINE_PORT, dataBounds: this.dataBounds,
    });
    let changed = false;
    if (plan.master || plan.labels.length > 0) {
      ({ changed } = await executeTopology(this.context, this.kvStore, plan, observed.pods, { password: this.password, passwordByPod: observed.passwordByPod }));
      for (const step of plan.labels) this.pod(step.pod).roleLabel = step.role;
    }
    if (plan.master) this.knownMaster = plan.master;
    return { plan, observed, changed };
  }

  /** Points `monitor` at the recorded master as main.ts does, and keeps the data bounds from its ROLE answers. */
  async watch(monitor: HealthMonitor, downAfterMilliseconds: number): Promise<void> {
    if (!this.knownMaster) throw new Error('no master recorded yet');
    const { pods } = await this.observe();
    watchStoreMaster(monitor, {
      key: STORE_KEY, storeName: STORE_NAME, namespace: STORE_NAMESPACE, pods, master: this.knownMaster, password: this.password, downAfterMilliseconds,
    });
    monitor.on('masterRole', (event) => {
      if (event.storeKey === STORE_KEY) this.dataBounds = observeMasterRole(this.dataBounds, event.role);
    });
  }
}
