/**
 * The Informer (informer.ts) filled by list + watch. It lists once, page by page, then watches from the list's
 * resourceVersion; when the watch ends cleanly it resumes from the last seen version, and on errors (410 Gone,
 * connection refused, API server restart) it lists again after an exponential backoff. Handlers see add, update and
 * delete with the previous object, and a relist only reports what actually changed.
 */
import type { Logger } from '../shared/logger.js';
import { backoffDelayMs } from './work-queue.js';
import { statusCodeOf } from './errors.js';
import { objectKey, type CachedObject, type Informer, type InformerEvent, type InformerHandler } from './informer.js';
import type { KubeClient, KubeList, KubeObject, WatchHandle } from './client.js';

/** Objects per list page. */
export const LIST_PAGE_SIZE = 250;

export interface InformerOptions<T extends CachedObject = KubeObject> {
  name: string;
  /** Collection path, cluster-wide or namespaced. */
  path: string;
  labelSelector?: string;
  logger?: Logger;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Trims each object before it is cached (memory: keep only what the caller reads). */
  transform?: (object: T) => T;
  /** A secondary index (listIndexed): e.g. the store a pod belongs to, so a reconcile does not scan every pod. */
  indexBy?: (object: T) => string | undefined;
}

/**
 * List items come without apiVersion and kind (the list carries them), watch events with them. The cache must hold
 * one shape: the apply layer compares the desired object with the cached one, and a missing apiVersion made every
 * object of a freshly started reconciler look changed, re-applied on every resync (an apply that changes nothing
 * sends no watch event that would fix the cache).
 */
function withTypeMeta<T extends CachedObject>(list: KubeList<T>): T[] {
  const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -'List'.length) : undefined;
  return (list.items ?? []).map((item) => (item.apiVersion && item.kind) || !list.apiVersion || !kind
    ? item
    : { ...item, apiVersion: item.apiVersion ?? list.apiVersion, kind: item.kind ?? kind });
}

export class ListWatchInformer<T extends CachedObject = KubeObject> implements Informer<T> {
  private readonly cache = new Map<string, T>();
  private readonly index = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private stopped = true;
  private failures = 0;
  private abort?: WatchHandle;
  private retryTimer?: NodeJS.Timeout;
  private syncedOnce = false;
  private syncWaiters: Array<() => void> = [];
  /** Times the informer listed (for tests and metrics). */
  listCount = 0;

  constructor(private readonly client: KubeClient, readonly options: InformerOptions<T>) {}

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(filter?: (object: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  get size(): number {
    return this.cache.size;
  }

  get hasSynced(): boolean {
    return this.syncedOnce;
  }

  /** Starts listing and watching; resolves after the first successful list. */
  start(): Promise<void> {
    this.stopped = false;
    void this.listAndWatch();
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
    this.abort = undefined;
    for (const resolve of this.syncWaiters) resolve();
    this.syncWaiters = [];
  }

  private emit(event: InformerEvent, object: T, previous?: T): void {
    for (const handler of this.handlers) {
      try {
        handler(event, object, previous);
      } catch (error) {
        this.options.logger?.error({ err: error, informer: this.options.name }, 'informer handler failed');
      }
    }
  }

  /** Objects whose index value is `value` (requires the indexBy option). */
  listIndexed(value: string): T[] {
    const entries = this.index.get(value);
    return entries ? [...entries.values()] : [];
  }

  private store(key: string, object: T, previous: T | undefined): void {
    if (previous) this.unindex(key, previous);
    this.cache.set(key, object);
    const value = this.options.indexBy?.(object);
    if (value === undefined) return;
    let entries = this.index.get(value);
    if (!entries) {
      entries = new Map();
      this.index.set(value, entries);
    }
    entries.set(key, object);
  }

  private forget(key: string, previous: T | undefined): void {
    this.cache.delete(key);
    if (previous) this.unindex(key, previous);
  }

  private unindex(key: string, object: T): void {
    const value = this.options.indexBy?.(object);
    if (value === undefined) return;
    const entries = this.index.get(value);
    entries?.delete(key);
    if (entries?.size === 0) this.index.delete(value);
  }

  private trim(object: T): T {
    return this.options.transform ? this.options.transform(object) : object;
  }

  /** `items` are already trimmed. */
  private replaceAll(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.store(key, item, previous);
      if (!previous) this.emit('add', item);
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('update', item, previous);
    }
    for (const [key, previous] of [...this.cache]) {
      if (!seen.has(key)) {
        this.forget(key, previous);
        this.emit('delete', previous);
      }
    }
  }

  private onWatchEvent(type: string, raw: T): void {
    if (this.stopped || !raw) return;
    if (type === 'ERROR') {
      // 410 Gone: the watch ends next and the relist starts from scratch.
      if (statusCodeOf(raw) === 410) this.resourceVersion = '';
      return;
    }
    const version = raw.metadata?.resourceVersion;
    if (type === 'BOOKMARK' || !raw.metadata) {
      if (version) this.resourceVersion = version;
      return;
    }
    const object = this.trim(raw);
    const key = objectKey(object);
    const previous = this.cache.get(key);
    if (type === 'DELETED') {
      this.forget(key, previous);
      this.emit('delete', object);
    } else {
      this.store(key, object, previous);
      this.emit(previous ? 'update' : 'add', object, previous);
    }
    if (version) this.resourceVersion = version;
  }

  private scheduleRetry(error: unknown): void {
    if (this.stopped) return;
    this.failures += 1;
    const delayMs = backoffDelayMs(this.failures, this.options.baseBackoffMs ?? 200, this.options.maxBackoffMs ?? 30_000);
    // Jitter so many informers do not reconnect in lockstep after an API server restart.
    const jitteredMs = Math.round(delayMs * (0.8 + Math.random() * 0.4));
    this.options.logger?.warn({ informer: this.options.name, err: error, retryInMs: jitteredMs }, 'list/watch failed; retrying');
    this.retryTimer = setTimeout(() => void this.listAndWatch(), jitteredMs);
  }

  private async listAndWatch(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.resourceVersion) {
        // Paged, and each page trimmed as it arrives: a cluster's worth of objects is never held raw at once.
        const items: T[] = [];
        let list: KubeList<T>;
        let continueToken: string | undefined;
        do {
          list = await this.client.list<T>(this.options.path, this.options.labelSelector, { limit: LIST_PAGE_SIZE, continue: continueToken });
          if (this.stopped) return;
          for (const item of withTypeMeta(list)) items.push(this.trim(item));
          continueToken = list.metadata?.continue || undefined;
        } while (continueToken);
        this.listCount += 1;
        this.replaceAll(items);
        this.resourceVersion = list.metadata?.resourceVersion ?? '';
        if (!this.syncedOnce) {
          this.syncedOnce = true;
          for (const resolve of this.syncWaiters) resolve();
          this.syncWaiters = [];
        }
      }
      // A server-side timeout (5-10 min, as client-go) recycles connections a middlebox may have silently dropped.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      const query: Record<string, string | number | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
      let watchFailed = false;
      this.abort = await this.client.watch(this.options.path, query, (type, object) => this.onWatchEvent(type, object as T), (error: unknown) => {
        if (this.stopped || watchFailed) return;
        watchFailed = true;
        if (error) {
          // 410 Gone or a broken connection: list again, the cache may have missed events.
          this.resourceVersion = '';
          this.scheduleRetry(error);
          return;
        }
        // A clean end (server-side timeout): resume from the last version without a relist.
        this.failures = 0;
        setImmediate(() => void this.listAndWatch());
      });
      if (this.stopped) {
        this.abort.abort();
        this.abort = undefined;
        return;
      }
      this.failures = 0;
    } catch (error) {
      this.resourceVersion = '';
      this.scheduleRetry(error);
    }
  }
}
