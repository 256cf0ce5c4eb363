/**
 * The reconciler process: informers feed a keyed work queue, one reconcile per store at a time; the health monitor
 * turns a lost master into an immediate reconcile; leader election (or, for `--namespace`, the namespace claim)
 * decides whether this instance acts. Shutdown stops the informers, lets in-flight reconciles finish, and releases
 * the lease so a standby takes over at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../shared/logger.js';
import { jsonEqual } from '../../shared/json-value.js';
import type { KeyPairPem } from '../../certs/authority.js';
import { buildDesiredObjects } from '../desired/index.js';
import { HealthMonitor, observeMasterRole } from '../replication/index.js';
import type { ControllerContext } from './context.js';
import { createStoreEventRecorder } from './events.js';
import { createStoreInformers, storeKeyOf, type StoreInformers } from './informers.js';
import { objectKey } from '../../kube/informer.js';
import { KubeClient, type KubeObject } from '../../kube/client.js';
import { LeaseLock } from '../../kube/leader-election.js';
import { ReconcilerMetrics, startMetricsServer, type MetricsServer } from './metrics.js';
import { createNamespaceClaim, NamespaceClaimWatcher } from './namespace-claim.js';
import { reconcileStore } from './reconcile-store.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { loadOrCreateStoreCa } from './store-ca.js';
import { watchStoreMaster } from './master-watch.js';
import { engineDied, isPodTerminating } from './observed.js';
import { startPolicyAuditLoop, type PolicyAuditLoop } from './policy-audit.js';
import type { ClusterSource } from '../../kube/cluster-access.js';
import { startSnapshotLoop, type SnapshotScheduler, type SnapshotSettings } from '../snapshots/index.js';

export interface ReconcilerOptions {
  /** A ClusterAccess (cluster-access.ts, what the command loads) or a client-node KubeConfig. */
  kubeConfig: ClusterSource;
  /** 0 picks a free port (reported back). */
  metricsPort: number;
  /** Watch and act on this namespace only, claiming it with a Lease. */
  namespace?: string;
  leaderElect: boolean;
  logger?: Logger;
  /** Where the leader Lease (and the store CA Secret) live. Default redwing-system. */
  operatorNamespace?: string;
  leaseDurationSeconds?: number;
  identity?: string;
  /** Every store is reconciled at least this often. Default 5 min. */
  resyncPeriodMs?: number;
  concurrency?: number;
  probeTimeoutMs?: number;
  /** The CA that issues store certificates; default: Secret redwing-store-ca in the operator namespace. */
  ca?: KeyPairPem;
  /** Health loop period (ms). Default 150. */
  healthIntervalMs?: number;
  /** Run the KVPolicy background audit while leading. Default: on for a cluster-wide reconciler. */
  policyAudit?: boolean;
  /** Scheduled snapshots (spec.snapshot.cron): test hooks and the per-save timeout. */
  snapshots?: SnapshotSettings;
}

export interface RunningReconciler {
  metricsPort: number;
  identity: string;
  isLeader(): boolean;
  /** Enqueue every store (what the periodic resync does). */
  resyncAll(): void;
  informers: StoreInformers;
  /** The snapshot jobs (one per store with spec.snapshot.cron). */
  snapshots: SnapshotScheduler;
  stop(): Promise<void>;
}

export const LEADER_LEASE_NAME = 'redwing-reconciler';

/** KVStore updates that matter: spec (generation), deletion, finalizers, labels/annotations. Status writes do not. */
export function storeUpdateMatters(previous: KubeObject | undefined, next: KubeObject): boolean {
  if (!previous) return true;
  const a = previous.metadata ?? {};
  const b = next.metadata ?? {};
  return a.generation !== b.generation || a.deletionTimestamp !== b.deletionTimestamp
    || !jsonEqual(a.finalizers ?? [], b.finalizers ?? [])
    || !jsonEqual(a.labels ?? {}, b.labels ?? {})
    || !jsonEqual(a.annotations ?? {}, b.annotations ?? {});
}

export async function runReconciler(options: ReconcilerOptions): Promise<RunningReconciler> {
  const logger = options.logger ?? createLogger('reconciler');
  const identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const operatorNamespace = options.operatorNamespace ?? options.namespace ?? 'redwing-system';
  const client = new KubeClient(options.kubeConfig);
  const informers = createStoreInformers(client, options.namespace, logger);
  const metrics = new ReconcilerMetrics();
  const monitor = new HealthMonitor({ intervalMs: options.healthIntervalMs });
  const claims = options.namespace ? undefined : new NamespaceClaimWatcher(client, logger);
  // Loaded on first need (a TLS store): creating a CA loads node-forge (about 10 MB of RSS) and generates an RSA key.
  let storeCa: Promise<KeyPairPem> | undefined = options.ca ? Promise.resolve(options.ca) : undefined;
  const loadCa = () => {
    storeCa ??= loadOrCreateStoreCa(client, operatorNamespace, logger);
    return storeCa;
  };

  const context: ControllerContext = {
    client, informers, logger, loadCa,
    events: createStoreEventRecorder(client, logger),
    buildDesired: (store) => buildDesiredObjects(store, { operatorNamespace }),
    probeTimeoutMs: options.probeTimeoutMs ?? 1000,
    runtimes: new Map(),
    metrics,
    watchMaster: (key, storeName, namespace, pods, master, password, tls, downAfterMilliseconds) =>
      watchStoreMaster(monitor, { key, storeName, namespace, pods, master, password, tls, downAfterMilliseconds }),
    onStoreGone: (key) => {
      monitor.unwatch(key);
      metrics.forgetStore(key);
    },
  };

  let queue: WorkQueue | undefined;
  let acting = false;
  const enqueue = (key: string | undefined) => {
    if (key && queue) queue.add(key);
  };
  const storeKeys = (filter?: (namespace: string) => boolean) => informers.stores.list()
    .map((store) => objectKey(store))
    .filter((key) => !filter || filter(key.split('/')[0]!));

  const handle = async (key: string) => {
    const namespace = key.split('/')[0]!;
    if (claims?.isClaimed(namespace)) {
      // A namespaced reconciler owns this namespace: leave its stores alone.
      monitor.unwatch(key);
      return {};
    }
    const stopTimer = metrics.reconcileDuration.startTimer();
    try {
      const result = await reconcileStore(context, key);
      stopTimer({ result: 'success' });
      return result;
    } catch (error) {
      stopTimer({ result: 'error' });
      metrics.reconcileErrors.inc();
      throw error;
    } finally {
      metrics.queueDepth.set(queue?.depth ?? 0);
    }
  };

  const startActing = () => {
    if (acting) return;
    acting = true;
    metrics.leader.set(1);
    queue = new WorkQueue({
      concurrency: options.concurrency ?? 8,
      maxDelayMs: 30_000,
      onError: (key, error, failures) => logger.warn({ store: key, err: error, failures }, 'reconcile failed; retrying'),
    });
    queue.start(handle);
    monitor.start();
    for (const key of storeKeys()) queue.add(key);
  };
  const stopActing = async () => {
    if (!acting) return;
    acting = false;
    metrics.leader.set(0);
    const current = queue;
    queue = undefined;
    monitor.stop();
    await current?.shutdown();
    // A future term starts from live state, not from what this term remembered.
    context.runtimes.clear();
  };

  monitor.on('masterUnreachable', (event) => {
    const runtime = context.runtimes.get(event.storeKey);
    const replicasSeeingMaster = event.replicaViews.filter((view) => view.seesMaster).map((view) => view.pod);
    if (runtime) runtime.operatorCutOff = { master: event.master.pod, replicasSeeingMaster };
    logger.warn({ store: event.storeKey, master: event.master.pod, replicasSeeingMaster }, 'master unreachable from the operator only; its replicas still hear it, so no failover');
    enqueue(event.storeKey);
  });
  monitor.on('masterUp', (event) => {
    const runtime = context.runtimes.get(event.storeKey);
    if (!runtime?.operatorCutOff) return;
    runtime.operatorCutOff = undefined;
    logger.info({ store: event.storeKey, master: event.master.pod }, 'master answers the operator again');
    enqueue(event.storeKey);
  });
  monitor.on('replicaDisconnected', (event) => {
    logger.info({ store: event.storeKey, master: event.master.pod, connectedReplicas: event.connectedReplicas, previously: event.previously }, 'a replica disconnected from the master');
    enqueue(event.storeKey);
  });
  monitor.on('masterRole', (event) => {
    const runtime = context.runtimes.get(event.storeKey);
    if (runtime) runtime.dataBounds = observeMasterRole(runtime.dataBounds, event.role);
  });
  monitor.on('masterDown', (event) => {
    const runtime = context.runtimes.get(event.storeKey);
    if (runtime) runtime.operatorCutOff = undefined;
    if (runtime && !runtime.masterDown) runtime.masterDown = { detectedAtMs: Date.now(), reason: 'MasterUnreachable' };
    logger.warn({ store: event.storeKey, master: event.master.pod, trigger: event.trigger }, 'master down');
    enqueue(event.storeKey);
  });

  informers.stores.on((event, object, previous) => {
    if (event === 'update' && !storeUpdateMatters(previous, object)) return;
    enqueue(objectKey(object));
  });
  for (const informer of [informers.statefulSets, informers.services, informers.secrets, informers.configMaps, informers.podDisruptionBudgets, informers.persistentVolumeClaims]) {
    informer.on((_event, object) => enqueue(storeKeyOf(object)));
  }
  informers.pods.on((event, object, previous) => {
    const key = storeKeyOf(object);
    if (!key) return;
    // A pod going away (deleted, evicted, node lost) or an engine process that died is checked at once, not at the
    // next health tick: a master whose process died comes back fenced and empty.
    const goingAway = event === 'delete' || (isPodTerminating(object as never) && !(previous && isPodTerminating(previous as never)));
    const restarted = event === 'update' && previous !== undefined && engineDied(previous as never, object as never);
    if (goingAway || restarted) {
      const [namespace, name] = key.split('/') as [string, string];
      const store = informers.stores.get(namespace, name) as { status?: { master?: string } } | undefined;
      const runtime = context.runtimes.get(key);
      // Detection time of a failover caused by the master pod going away or its process dying: now.
      if (runtime && !runtime.masterDown && store?.status?.master === object.metadata?.name) {
        runtime.masterDown = { detectedAtMs: Date.now(), reason: restarted && !goingAway ? 'MasterRestarted' : event === 'delete' ? 'MasterPodDeleted' : 'MasterPodTerminating' };
        logger.warn({ store: key, master: object.metadata?.name, reason: runtime.masterDown.reason }, 'master down');
      }
      void monitor.triggerCheck(key, { skipDownAfter: true }).catch(() => undefined);
    }
    enqueue(key);
  });
  claims?.onChange((namespace) => {
    for (const key of storeKeys((ns) => ns === namespace)) enqueue(key);
  });

  await Promise.all([...informers.all().map((informer) => informer.start()), claims?.start()]);

  let lock: LeaseLock | undefined;
  if (options.namespace) {
    lock = createNamespaceClaim({
      client, namespace: options.namespace, identity, logger, leaseDurationSeconds: options.leaseDurationSeconds,
      onStartedLeading: startActing, onStoppedLeading: () => void stopActing(),
    });
  } else if (options.leaderElect) {
    lock = new LeaseLock({
      client, namespace: operatorNamespace, name: LEADER_LEASE_NAME, identity, logger, leaseDurationSeconds: options.leaseDurationSeconds,
      onStartedLeading: startActing, onStoppedLeading: () => void stopActing(),
    });
  }
  if (lock) lock.start();
  else startActing();
  // The audit reads policies and stores cluster-wide; it runs in every instance but only acts while leading.
  const audit: PolicyAuditLoop | undefined = (options.policyAudit ?? !options.namespace)
    ? startPolicyAuditLoop({ client, stores: informers.stores, isLeader: () => acting, logger: logger.child({ component: 'policy-audit' }) })
    : undefined;

  // Jobs in every instance; a run happens only while leading (and never for a store a namespaced reconciler claims).
  const snapshots = startSnapshotLoop({
    ...options.snapshots,
    client, informers, events: context.events, logger: logger.child({ component: 'snapshots' }), isLeader: () => acting,
    runtimes: context.runtimes, loadCa, probeTimeoutMs: context.probeTimeoutMs, registry: metrics.registry,
    ownsStore: (key) => !claims?.isClaimed(key.split('/')[0]!),
  });

  const resyncTimer = setInterval(() => {
    for (const key of storeKeys()) enqueue(key);
  }, options.resyncPeriodMs ?? 300_000);
  resyncTimer.unref();

  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = await startMetricsServer(metrics, {
      healthy: () => true,
      ready: () => informers.all().every((informer) => informer.hasSynced),
    }, options.metricsPort);
  } catch (error) {
    await snapshots.stop();
    await audit?.stop();
    await lock?.stop();
    await stopActing();
    for (const informer of informers.all()) informer.stop();
    claims?.stop();
    throw new Error(`cannot serve metrics on port ${options.metricsPort}`, { cause: error });
  }
  logger.info({ identity, namespace: options.namespace ?? '(all)', leaderElect: options.leaderElect, metricsPort: metricsServer.port }, 'reconciler started');

  let stopped = false;
  return {
    metricsPort: metricsServer.port,
    identity,
    isLeader: () => acting,
    resyncAll: () => {
      for (const key of storeKeys()) enqueue(key);
    },
    informers,
    snapshots: snapshots.scheduler,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(resyncTimer);
      await snapshots.stop();
      await audit?.stop();
      for (const informer of informers.all()) informer.stop();
      claims?.stop();
      await stopActing();
      await lock?.stop();
      await metricsServer!.close();
      client.close();
      logger.info({ identity }, 'reconciler stopped');
    },
  };
}
