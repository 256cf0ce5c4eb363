/**
 * In-memory object storage with one global resourceVersion counter, like etcd's revision.
 * Every write is recorded in a bounded history; watches replay it and lists can be served at a past revision.
 */
import type { KubeObject } from './types.js';
import { deepClone } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** storage key: group/plural */
  resource: string;
  rv: number;
  /** the object after the change (for DELETED: the last state, carrying the new rv) */
  object: KubeObject;
  /** the object before the change (absent for ADDED) */
  oldObject?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  /** highest revision no longer in history; watches and lists at or before it get 410 */
  private compactedRevision = 0;
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly historyLimit = 10000) {}

  currentRevision(): number {
    return this.revision;
  }

  compacted(): number {
    return this.compactedRevision;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }

  /** Returns a copy; callers may mutate it freely. */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(resource)?.get(objectKey(namespace, name));
    return found ? deepClone(found) : undefined;
  }

  /** Objects sorted by namespace then name, as etcd keys sort. Returns copies. */
  list(resource: string, namespace?: string): KubeObject[] {
    return this.sorted([...(this.objects.get(resource)?.values() ?? [])], namespace).map((o) => deepClone(o));
  }

  /** The state of one resource at a past revision, rebuilt by undoing later history; undefined when compacted. */
  listAt(resource: string, namespace: string | undefined, rv: number): KubeObject[] | undefined {
    if (rv >= this.revision) return this.list(resource, namespace);
    if (rv < this.compactedRevision) return undefined;
    const state = new Map<string, KubeObject>();
    for (const [key, obj] of this.objects.get(resource) ?? []) state.set(key, obj);
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rv > rv; i--) {
      const event = this.history[i]!;
      if (event.resource !== resource) continue;
      const key = objectKey(event.object.metadata.namespace, event.object.metadata.name ?? '');
      if (event.type === 'ADDED') state.delete(key);
      else if (event.oldObject) state.set(key, event.oldObject);
    }
    return this.sorted([...state.values()], namespace).map((o) => deepClone(o));
  }

  private sorted(items: KubeObject[], namespace: string | undefined): KubeObject[] {
    return items
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => {
        const ka = objectKey(a.metadata.namespace, a.metadata.name ?? '');
        const kb = objectKey(b.metadata.namespace, b.metadata.name ?? '');
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
  }

  /** Every object with its resource, oldest write first (what persistence.ts saves). Returns copies. */
  dump(): Array<{ resource: string; object: KubeObject }> {
    const entries: Array<{ resource: string; object: KubeObject }> = [];
    for (const [resource, bucket] of this.objects) for (const object of bucket.values()) entries.push({ resource, object });
    return entries
      .sort((a, b) => Number(a.object.metadata.resourceVersion) - Number(b.object.metadata.resourceVersion))
      .map((entry) => ({ resource: entry.resource, object: deepClone(entry.object) }));
  }

  /** Stores a new object; assigns its resourceVersion. The caller has checked it does not exist. */
  create(resource: string, object: KubeObject): KubeObject {
    const stored = this.commit(resource, object);
    this.bucket(resource).set(objectKey(stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    this.record({ type: 'ADDED', resource, rv: this.revision, object: stored });
    return deepClone(stored);
  }

  update(resource: string, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const old = this.bucket(resource).get(key);
    const stored = this.commit(resource, object);
    this.bucket(resource).set(key, stored);
    this.record({ type: 'MODIFIED', resource, rv: this.revision, object: stored, ...(old ? { oldObject: old } : {}) });
    return deepClone(stored);
  }

  /** Removes the object; the DELETED event carries its last state with a new resourceVersion (as etcd does). */
  delete(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const old = this.bucket(resource).get(key);
    if (!old) return undefined;
    this.bucket(resource).delete(key);
    const tombstone = this.commit(resource, old);
    this.record({ type: 'DELETED', resource, rv: this.revision, object: tombstone, oldObject: old });
    return deepClone(old);
  }

  private commit(_resource: string, object: KubeObject): KubeObject {
    this.revision++;
    const stored = deepClone(object);
    stored.metadata.resourceVersion = String(this.revision);
    return stored;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedRevision = dropped.rv;
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one faulty watcher must not break a write
      }
    }
  }

  /** Events after `rv`, or undefined when part of that range has been compacted away. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRevision) return undefined;
    const start = this.history.findIndex((e) => e.rv > rv);
    return start === -1 ? [] : this.history.slice(start);
  }

  /** Number of open subscriptions (watches), so tests can wait for a watch to be established. */
  subscriberCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops history up to the current revision, as an etcd compaction does. For tests of 410 handling. */
  compact(): void {
    this.history.length = 0;
    this.compactedRevision = this.revision;
  }
}
