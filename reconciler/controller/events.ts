/**
 * Kubernetes Events (core v1) for the transitions a user cares about, attached to the KVStore so
 * `kubectl describe kvs/x` tells the story. Repeats of the same reason and message bump the count of the existing
 * Event instead of creating a new one. Event failures are logged, never fatal: an Event is a courtesy.
 */
import { randomBytes } from 'node:crypto';
import type { KVStorePodStatus, KVStoreStatus } from '../../shared/schema/kvstore.js';
import type { Logger } from '../../shared/logger.js';
import { API_GROUP_VERSION, KVSTORE_KIND } from '../../shared/api.js';
import { paths, type KubeClient, type KubeObject } from './kube-client.js';

export type EventReason =
  | 'Created' | 'MasterElected' | 'ReplicaJoined' | 'Scaled' | 'ConfigApplied' | 'PasswordRotated' | 'Degraded'
  | 'FailedOver' | 'Recovered' | 'RollingUpdate' | 'ReconcileFailed' | 'UnsupportedChange' | 'SplitBrainResolved' | 'TlsIssued'
  | 'SnapshotSucceeded' | 'SnapshotFailed' | 'DataLossPossible';

export interface StoreEvent {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

export const COMPONENT = 'redwing-reconciler';

/** Events implied by the change from one status to the next. Pure. */
export function transitionEvents(previous: KVStoreStatus | undefined, next: KVStoreStatus): StoreEvent[] {
  const events: StoreEvent[] = [];
  if (next.master && next.master !== previous?.master) {
    const lastFailover = next.lastFailover;
    const planned = lastFailover?.reason.endsWith('Switchover') === true;
    if (planned && lastFailover?.to === next.master) {
      // A planned switchover (scale-down, rollout) already has its own MasterElected event.
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
  if (next.phase === 'Degraded' && previous?.phase !== 'Degraded') {
    const degraded = next.conditions?.find((condition) => condition.type === 'Degraded');
    events.push({ type: 'Warning', reason: 'Degraded', message: degraded?.message ?? 'the store is degraded' });
  }
  if (next.phase === 'Ready' && previous?.phase && previous.phase !== 'Ready' && previous.phase !== 'Creating' && previous.phase !== 'Pending') {
    events.push({ type: 'Normal', reason: 'Recovered', message: `the store is Ready again (was ${previous.phase})` });
  }
  return events;
}

interface CachedEvent {
  name: string;
  count: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, CachedEvent>();

  constructor(private readonly client: KubeClient, private readonly logger?: Logger, private readonly instance = COMPONENT) {}

  async record(store: KubeObject, event: StoreEvent): Promise<void> {
    const namespace = store.metadata?.namespace;
    const name = store.metadata?.name;
    if (!namespace || !name) return;
    const key = `${namespace}/${name}/${event.reason}/${event.message}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      const cached = this.recent.get(key);
      if (cached) {
        cached.count += 1;
        await this.client.patch(paths.coreObject('events', namespace, cached.name), { count: cached.count, lastTimestamp: now });
        return;
      }
      const eventName = `${name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
      await this.client.create(paths.core('events', namespace), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: { apiVersion: API_GROUP_VERSION, kind: KVSTORE_KIND, name, namespace, uid: store.metadata?.uid, resourceVersion: store.metadata?.resourceVersion },
        reason: event.reason,
        message: event.message,
        type: event.type,
        source: { component: this.instance },
        reportingComponent: this.instance,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      if (this.recent.size > 1000) this.recent.clear();
      this.recent.set(key, { name: eventName, count: 1 });
    } catch (error) {
      this.recent.delete(key);
      this.logger?.warn({ err: error, reason: event.reason, store: `${namespace}/${name}` }, 'could not record event');
    }
  }
}
