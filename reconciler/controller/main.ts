/**
 * The reconciler process, assembled in controller-runtime's shape: informers feed the KVStore controller's work
 * queue (store-watches.ts says what enqueues a store); a manager runs the leader-only runnables (the controller, the
 * health monitor, the policy audit, snapshot runs, the resync) while this instance holds its lease (leader election,
 * or for `--namespace` the namespace claim) and aborts their signal when it is lost. Shutdown aborts in-flight
 * reconciles (no engine command after it), releases the lease so a standby takes over at once, then stops the caches.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { KeyPairPem } from '../../certs/authority.js';
import { KubeClient } from '../../kube/client.js';
import type { ClusterSource } from '../../kube/cluster-access.js';
import { Manager } from '../../kube/runtime/manager.js';
import { buildResolvedDesiredObjects } from '../desired/index.js';
import { HealthMonitor } from '../replication/index.js';
import { startSnapshotLoop, type SnapshotScheduler, type SnapshotSettings } from '../snapshots/index.js';
import type { ControllerContext } from './context.js';
import { createStoreEventRecorder } from './events.js';
import { createReconcilerInformer, createStoreInformers, type StoreInformers } from './informers.js';
import { createBackupController, kvbackupPaths, type BackupControllerOptions } from './backup-controller.js';
import { trimStore } from './cache-trims.js';
import { objectKey } from '../../kube/informer.js';
import { healthMonitorRunnable, leaderElectionFor, resyncRunnable } from './leader-runnables.js';
import { watchStoreMaster } from './master-watch.js';
import { ReconcilerMetrics, startMetricsServer, type MetricsServer } from './metrics.js';
import { NamespaceClaimWatcher } from './namespace-claim.js';
import { policyAuditRunnable } from './policy-audit.js';
import { loadOrCreateStoreCa } from './store-ca.js';
import { lazyOperatorClientCertificate } from './client-certificates.js';
import { createStoreController } from './store-controller.js';
import { StoreMemories } from './store-memory.js';
import { watchStores } from './store-watches.js';

export { LEADER_LEASE_NAME } from './leader-runnables.js';

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
  /** KVBackups: where S3 credentials come from without a Secret (default process.env), test hooks. */
  backups?: Pick<BackupControllerOptions, 's3' | 'concurrency'>;
  /** spec.restore: the address store pods dial for the data (default: POD_IP, else the first non-loopback IPv4). */
  restore?: ControllerContext['restore'];
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

/** The operator CA, loaded on first need (a TLS store): creating one loads node-forge (about 10 MB of RSS) and generates an RSA key. */
function lazyStoreCa(client: KubeClient, operatorNamespace: string, logger: Logger, given?: KeyPairPem): () => Promise<KeyPairPem> {
  let storeCa: Promise<KeyPairPem> | undefined = given ? Promise.resolve(given) : undefined;
  return () => {
    storeCa ??= loadOrCreateStoreCa(client, operatorNamespace, logger);
    return storeCa;
  };
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
  const memories = new StoreMemories();
  const loadCa = lazyStoreCa(client, operatorNamespace, logger, options.ca);
  // KVBackups: their own informer and controller (uploads never wait behind store reconciles, nor stores behind them).
  const backups = createReconcilerInformer(client, { name: 'kvbackups', path: kvbackupPaths.all(options.namespace), logger, transform: trimStore });
  const context: ControllerContext = {
    client, informers, logger, loadCa, operatorNamespace, memories, metrics, backups, restore: options.restore,
    shutdownSnapshot: { timeoutMs: options.snapshots?.shutdownTimeoutMs, s3: options.snapshots?.s3 },
    loadClientCertificate: lazyOperatorClientCertificate(loadCa),
    events: createStoreEventRecorder(client, logger),
    buildDesired: buildResolvedDesiredObjects,
    probeTimeoutMs: options.probeTimeoutMs ?? 1000,
    watchMaster: (request) => watchStoreMaster(monitor, request),
    onStoreGone: (key) => {
      monitor.unwatch(key);
      metrics.forgetStore(key);
    },
  };
  const controller = createStoreController({ context, metrics, concurrency: options.concurrency, claims, release: (key) => monitor.unwatch(key) });
  const resyncAll = () => {
    for (const store of informers.stores.list()) controller.enqueue(`${store.metadata?.namespace}/${store.metadata?.name}`);
  };
  watchStores({ informers, monitor, memories, enqueue: (key) => controller.enqueue(key), claims, logger });

  const backupController = createBackupController({
    ...options.backups, client, informers, backups, loadCa, probeTimeoutMs: context.probeTimeoutMs, logger: logger.child({ component: 'backups' }),
    credentialsOf: (key) => memories.get(key)?.credentials,
  });
  backups.on((event, object) => { if (event !== 'delete') backupController.enqueue(objectKey(object)); });

  // Not awaited: a cluster whose KVBackup CRD is not installed yet still runs its stores (the informer keeps retrying).
  void backups.start();
  await Promise.all([...informers.all().map((informer) => informer.start()), claims?.start()]);
  // Jobs in every instance; a run happens only during a leader term (and never for a store a namespaced reconciler claims).
  const snapshots = startSnapshotLoop({
    ...options.snapshots,
    client, informers, events: context.events, logger: logger.child({ component: 'snapshots' }),
    credentialsOf: (key) => memories.get(key)?.credentials, loadCa, probeTimeoutMs: context.probeTimeoutMs, registry: metrics.registry,
    ownsStore: (key) => !claims?.isClaimed(key.split('/')[0]!),
  });
  const manager = new Manager({
    logger,
    leaderElection: leaderElectionFor({ client, identity, logger, namespace: options.namespace, leaderElect: options.leaderElect, operatorNamespace, leaseDurationSeconds: options.leaseDurationSeconds }),
    onLeadershipChange: (leading) => metrics.leader.set(leading ? 1 : 0),
  });
  manager.add(controller);
  manager.add(healthMonitorRunnable(monitor, memories));
  manager.add(snapshots.runs);
  manager.add(backupController);
  manager.add(resyncRunnable(options.resyncPeriodMs ?? 300_000, resyncAll));
  // The audit reads policies and stores cluster-wide: a namespaced reconciler leaves it to the cluster-wide one.
  if (options.policyAudit ?? !options.namespace) manager.add(policyAuditRunnable({ client, stores: informers.stores, logger: logger.child({ component: 'policy-audit' }) }));
  manager.start();

  const stopAll = async () => {
    await manager.stop();
    await snapshots.stop();
    for (const informer of informers.all()) informer.stop();
    backups.stop();
    claims?.stop();
  };
  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer(metrics, {
      healthy: () => true,
      ready: () => informers.all().every((informer) => informer.hasSynced),
    }, options.metricsPort);
  } catch (error) {
    await stopAll();
    client.close();
    throw new Error(`cannot serve metrics on port ${options.metricsPort}`, { cause: error });
  }
  logger.info({ identity, namespace: options.namespace ?? '(all)', leaderElect: options.leaderElect, metricsPort: metricsServer.port }, 'reconciler started');

  let stopped = false;
  return {
    metricsPort: metricsServer.port,
    identity,
    isLeader: () => manager.isLeader(),
    resyncAll,
    informers,
    snapshots: snapshots.scheduler,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
      await metricsServer.close();
      client.close();
      logger.info({ identity }, 'reconciler stopped');
    },
  };
}
