/**
 * The Events the reconciler records on a KVStore (so `kubectl describe kvs/x` tells the story): their reasons, and
 * the ones implied by a status change. Recording (count bumps, failures logged) is kube/event-recorder.ts.
 */
import type { KVStorePodStatus, KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { Logger } from '../../shared/logger.js';
import { API_GROUP_VERSION, KVSTORE_KIND } from '../../shared/api.js';
import type { KubeClient } from '../../kube/client.js';
import { EventRecorder, type RecordedEvent } from '../../kube/event-recorder.js';

export type EventReason =
  | 'Created' | 'MasterElected' | 'ReplicaJoined' | 'Scaled' | 'ConfigApplied' | 'PasswordRotated' | 'Degraded'
  | 'FailedOver' | 'Recovered' | 'RollingUpdate' | 'ReconcileFailed' | 'UnsupportedChange' | 'SplitBrainResolved' | 'TlsIssued' | 'SecretsAdopted'
  | 'SnapshotSucceeded' | 'SnapshotFailed' | 'DataLossPossible' | 'RestartedFromBackOff' | 'Restored' | 'RestoreFailed'
  | 'ShutdownSnapshotSucceeded' | 'ShutdownSnapshotFailed'
  | 'Switchover' | 'SwitchoverRefused' | 'SwitchoverFailed';

export type StoreEvent = RecordedEvent<EventReason>;

export const COMPONENT = 'redwing-reconciler';

export interface TransitionContext {
  /**
   * The master moved to `next.master` by a switchover this process made (rollout, scale-down, request), which
   * switchMaster already told with its own Event (MasterElected or Switchover): no second one for the status change.
   */
  switchedOver?: boolean;
}

/** Events implied by the change from one status to the next. Pure. */
export function transitionEvents(previous: KVStoreStatus | undefined, next: KVStoreStatus, context: TransitionContext = {}): StoreEvent[] {
  const events: StoreEvent[] = [];
  if (next.master && next.master !== previous?.master) {
    const lastFailover = next.lastFailover;
    const planned = lastFailover?.reason.endsWith('Switchover') === true;
    if (context.switchedOver || (planned && lastFailover?.to === next.master)) {
      // A switchover already has its own Event, naming both masters and why.
    } else if (previous?.master && lastFailover && lastFailover.to === next.master && lastFailover.time !== previous.lastFailover?.time) {
      events.push({ type: 'Warning', reason: 'FailedOver', message: `master moved from ${lastFailover.from} to ${lastFailover.to} (${lastFailover.reason}, ${lastFailover.durationMs} ms)` });
    } else {
      events.push({ type: 'Normal', reason: 'MasterElected', message: previous?.master ? `master moved from ${previous.master} to ${next.master}` : `${next.master} elected master` });
    }
  }
  const before = new Map<string, KVStorePodStatus>((previous?.pods ?? []).map((pod) => [pod.name, pod]));
  for (const pod of next.pods ?? []) {
    if (pod.role === 'replica' && before.get(pod.name)?.role !== 'replica') {
      events.push({ type: 'Normal', reason: 'ReplicaJoined', message: `${pod.name} is replicating from ${next.master}` });
    }
  }
  // Degraded says something is wrong and names it (status.ts): one Warning when it turns true or the cause changes
  // kind, not one per restart count. A failover has its own Event.
  const degraded = next.conditions?.find((condition) => condition.type === 'Degraded' && condition.status === 'True');
  const degradedBefore = previous?.conditions?.find((condition) => condition.type === 'Degraded' && condition.status === 'True');
  if (degraded && next.phase !== 'Failover' && degraded.reason !== degradedBefore?.reason) {
    events.push({ type: 'Warning', reason: 'Degraded', message: degraded.message });
  }
  if (next.phase === 'Ready' && previous?.phase && previous.phase !== 'Ready' && previous.phase !== 'Creating' && previous.phase !== 'Pending') {
    events.push({ type: 'Normal', reason: 'Recovered', message: `the store is Ready again (was ${previous.phase})` });
  }
  return events;
}

/** The reconciler's recorder: Events about KVStores, with the reasons above. */
export type StoreEventRecorder = EventRecorder<EventReason>;

export function createStoreEventRecorder(client: KubeClient, logger?: Logger): StoreEventRecorder {
  return new EventRecorder<EventReason>(client, {
    component: COMPONENT,
    reportingInstance: COMPONENT,
    involvedType: { apiVersion: API_GROUP_VERSION, kind: KVSTORE_KIND },
    logger,
  });
}
