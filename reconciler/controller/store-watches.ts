/**
 * What makes a store reconcile: changes of the store and of its owned objects (informer events), a pod going away
 * or an engine process that died (checked at once, not at the next health tick), the health monitor's verdicts,
 * and a namespace claim that changed hands. The monitor's and the pod watch's verdicts go to the store's failover
 * clock, the one place that times a failover.
 */
import { jsonEqual } from '../../shared/json-value.js';
import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../kube/client.js';
import { objectKey } from '../../kube/informer.js';
import { observeMasterRole, type HealthMonitor } from '../replication/index.js';
import { storeKeyOf, type StoreInformers } from './informers.js';
import type { NamespaceClaimWatcher } from './namespace-claim.js';
import { engineDied, isPodTerminating } from './observed.js';
import type { StoreMemories } from './store-memory.js';

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

/** Why a pod event means the master is lost, or undefined when it does not. Pure. */
export function masterLossReason(event: 'add' | 'update' | 'delete', pod: KubeObject, previous: KubeObject | undefined): string | undefined {
  const goingAway = event === 'delete' || (isPodTerminating(pod as never) && !(previous && isPodTerminating(previous as never)));
  const restarted = event === 'update' && previous !== undefined && engineDied(previous as never, pod as never);
  if (!goingAway && !restarted) return undefined;
  if (restarted && !goingAway) return 'MasterRestarted';
  return event === 'delete' ? 'MasterPodDeleted' : 'MasterPodTerminating';
}

export interface StoreWatchOptions {
  informers: StoreInformers;
  monitor: HealthMonitor;
  memories: StoreMemories;
  enqueue: (key: string | undefined) => void;
  claims?: NamespaceClaimWatcher;
  logger: Logger;
}

function watchMonitor({ monitor, memories, enqueue, logger }: StoreWatchOptions): void {
  monitor.on('masterUnreachable', (event) => {
    const replicasSeeingMaster = event.replicaViews.filter((view) => view.seesMaster).map((view) => view.pod);
    memories.get(event.storeKey)?.failover.cutOffFromOperator({ master: event.master.pod, replicasSeeingMaster });
    logger.warn({ store: event.storeKey, master: event.master.pod, replicasSeeingMaster }, 'master unreachable from the operator only; its replicas still hear it, so no failover');
    enqueue(event.storeKey);
  });
  monitor.on('masterUp', (event) => {
    if (!memories.get(event.storeKey)?.failover.masterAnswers()) return;
    logger.info({ store: event.storeKey, master: event.master.pod }, 'master answers the operator again');
    enqueue(event.storeKey);
  });
  monitor.on('replicaDisconnected', (event) => {
    logger.info({ store: event.storeKey, master: event.master.pod, connectedReplicas: event.connectedReplicas, previously: event.previously }, 'a replica disconnected from the master');
    enqueue(event.storeKey);
  });
  monitor.on('masterRole', (event) => {
    const election = memories.get(event.storeKey)?.election;
    if (election) election.dataBounds = observeMasterRole(election.dataBounds, event.role);
  });
  monitor.on('masterDown', (event) => {
    const clock = memories.get(event.storeKey)?.failover;
    if (clock?.exitIsExpected(event.master.pod)) {
      // The old master of a switchover this process just made (Dragonfly's exits by design): not a loss.
      logger.info({ store: event.storeKey, pod: event.master.pod }, 'the old master of a switchover went silent, as expected');
    } else {
      clock?.masterLost('MasterUnreachable', event.master.pod);
      logger.warn({ store: event.storeKey, master: event.master.pod, trigger: event.trigger }, 'master down');
    }
    enqueue(event.storeKey);
  });
}

function watchPods({ informers, monitor, memories, enqueue, logger }: StoreWatchOptions): void {
  informers.pods.on((event, object, previous) => {
    const key = storeKeyOf(object);
    if (!key) return;
    // A master whose process died comes back fenced and empty: check at once, not at the next health tick.
    const reason = masterLossReason(event, object, previous);
    if (reason) {
      const [namespace, name] = key.split('/') as [string, string];
      const store = informers.stores.get(namespace, name) as { status?: { master?: string } } | undefined;
      // Detection time of a failover caused by the master pod going away or its process dying: now.
      // The old master of a switchover this process just made exits by design (Dragonfly): the clock ignores it.
      if (store?.status?.master === object.metadata?.name && memories.get(key)?.failover.masterLost(reason, object.metadata?.name)) {
        logger.warn({ store: key, master: object.metadata?.name, reason }, 'master down');
      }
      void monitor.triggerCheck(key, { skipDownAfter: true }).catch(() => undefined);
    }
    enqueue(key);
  });
}

/** Registers every handler. Called once, before the informers start. */
export function watchStores(options: StoreWatchOptions): void {
  const { informers, enqueue, claims } = options;
  informers.stores.on((event, object, previous) => {
    if (event === 'update' && !storeUpdateMatters(previous, object)) return;
    enqueue(objectKey(object));
  });
  for (const informer of [informers.statefulSets, informers.services, informers.secrets, informers.configMaps, informers.podDisruptionBudgets, informers.persistentVolumeClaims]) {
    informer.on((_event, object) => enqueue(storeKeyOf(object)));
  }
  watchPods(options);
  watchMonitor(options);
  claims?.onChange((namespace) => {
    for (const store of informers.stores.list()) {
      if (store.metadata?.namespace === namespace) enqueue(objectKey(store));
    }
  });
}
