/**
 * Kubernetes Events (core v1) about an object, so `kubectl describe` tells its story. Repeats of the same reason and
 * message bump the count of the existing Event instead of creating a new one. Event failures are logged, never
 * fatal: an Event is a courtesy. Which reasons exist is the caller's business (the reconciler's are in
 * reconciler/controller/events.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../shared/logger.js';
import { rfc3339 } from '../shared/rfc3339.js';
import type { KubeClient } from './client.js';
import { paths } from './paths.js';

export interface RecordedEvent<Reason extends string = string> {
  type: 'Normal' | 'Warning';
  reason: Reason;
  message: string;
}

export interface EventRecorderOptions {
  /** source.component and reportingComponent. */
  component: string;
  /** reportingInstance; client-go's recorder leaves it unset unless told. */
  reportingInstance?: string;
  /** apiVersion and kind of the involved object when the object does not carry them (a trimmed cache copy). */
  involvedType?: { apiVersion: string; kind: string };
  logger?: Logger;
}

interface CachedEvent {
  name: string;
  count: number;
}

/** Recent events kept for count bumps; cleared past this (a repeat after that creates a new Event, which is fine). */
const MAX_REMEMBERED = 1000;

/** What an Event needs of the object it is about; client-node's model classes fit as well as raw objects. */
export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Events about cluster-scoped objects (nodes, volumes) go to the default namespace, as client-go's recorder does. */
const CLUSTER_SCOPED_EVENT_NAMESPACE = 'default';

export class EventRecorder<Reason extends string = string> {
  private readonly recent = new Map<string, CachedEvent>();

  constructor(private readonly client: KubeClient, private readonly options: EventRecorderOptions) {}

  async record(involved: InvolvedObject, event: RecordedEvent<Reason>): Promise<void> {
    const name = involved.metadata?.name;
    if (!name) return;
    const involvedNamespace = involved.metadata?.namespace;
    const namespace = involvedNamespace || CLUSTER_SCOPED_EVENT_NAMESPACE;
    const key = `${namespace}/${name}/${event.reason}/${event.message}`;
    const now = rfc3339();
    try {
      const cached = this.recent.get(key);
      if (cached) {
        cached.count += 1;
        await this.client.patch(paths.coreObject('events', namespace, cached.name), { count: cached.count, lastTimestamp: now });
        return;
      }
      const eventName = `${name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
      const { component, reportingInstance, involvedType } = this.options;
      await this.client.create(paths.core('events', namespace), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: {
          apiVersion: involvedType?.apiVersion ?? involved.apiVersion,
          kind: involvedType?.kind ?? involved.kind,
          name,
          namespace: involvedNamespace || undefined,
          uid: involved.metadata?.uid,
          resourceVersion: involved.metadata?.resourceVersion,
        },
        reason: event.reason,
        message: event.message,
        type: event.type,
        source: { component },
        reportingComponent: component,
        ...(reportingInstance === undefined ? {} : { reportingInstance }),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      if (this.recent.size > MAX_REMEMBERED) this.recent.clear();
      this.recent.set(key, { name: eventName, count: 1 });
    } catch (error) {
      this.recent.delete(key);
      this.options.logger?.warn({ err: error, reason: event.reason, object: `${namespace}/${name}` }, 'could not record event');
    }
  }
}
