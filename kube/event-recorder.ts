/**
 * Kubernetes Events (core v1) about an object, so `kubectl describe` tells its story. Repeats of the same reason and
 * message bump the count of the existing Event instead of creating a new one. Event failures are logged, never
 * fatal: an Event is a courtesy. Which reasons exist is the caller's business (the reconciler's are in
 * reconciler/controller/events.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../shared/logger.js';
import type { KubeClient, KubeObject } from './client.js';
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

/** RFC 3339 at second precision, as Event timestamps are serialized by the API server. */
function eventTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder<Reason extends string = string> {
  private readonly recent = new Map<string, CachedEvent>();

  constructor(private readonly client: KubeClient, private readonly options: EventRecorderOptions) {}

  async record(involved: KubeObject, event: RecordedEvent<Reason>): Promise<void> {
    const namespace = involved.metadata?.namespace;
    const name = involved.metadata?.name;
    if (!namespace || !name) return;
    const key = `${namespace}/${name}/${event.reason}/${event.message}`;
    const now = eventTime();
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
          namespace,
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
