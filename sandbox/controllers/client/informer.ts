// List-then-watch cache of one resource, as client-go's informers keep one: relist on 410 Gone or a broken stream,
// re-watch from the last seen resourceVersion otherwise. Objects are the raw JSON the server sent.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RestClient } from './rest.js';

export type InformerEvent = 'add' | 'update' | 'delete';
type Handler<T> = (obj: T, old?: T) => void;

export function keyOf(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : obj.metadata?.name ?? '';
}

export class Informer<T extends KubernetesObject = KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Record<InformerEvent, Handler<T>[]> = { add: [], update: [], delete: [] };
  private resourceVersion = '';
  private stopped = false;
  private abort?: AbortController;
  private readonly watch: Watch;
  private retryTimer?: NodeJS.Timeout;
  private synced = false;
  /** Bumped for every watch started, so a late callback of an old stream cannot start a second one. */
  private generation = 0;

  constructor(
    kc: KubeConfig,
    private readonly rest: RestClient,
    /** Collection path, e.g. `/api/v1/pods` or `/apis/apps/v1/statefulsets`. */
    readonly path: string,
    private readonly logger: Logger,
    private readonly query: Record<string, string> = {},
  ) {
    this.watch = new Watch(kc);
  }

  on(event: InformerEvent, handler: Handler<T>): this {
    this.handlers[event].push(handler);
    return this;
  }

  get hasSynced(): boolean { return this.synced; }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Resolves after the first list has filled the cache. */
  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const handler of this.handlers[event]) {
      try { handler(obj, old); } catch (error: unknown) { this.logger.error({ err: error, path: this.path }, 'informer handler failed'); }
    }
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    const params = new URLSearchParams(this.query);
    const list = await this.rest.request<{ metadata?: { resourceVersion?: string }; items?: T[] }>('GET', `${this.path}${params.size ? `?${params}` : ''}`);
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      const key = keyOf(item);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, item);
      if (!old) this.emit('add', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('update', item, old);
    }
    for (const [key, old] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.synced = true;
    await this.startWatch();
  }

  private scheduleRetry(relist: boolean): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const next = relist ? this.relist() : this.startWatch();
      next.catch((error: unknown) => {
        this.logger.debug({ err: error, path: this.path }, 'informer restart failed');
        this.scheduleRetry(true);
      });
    }, relist ? 500 : 50);
  }

  private async startWatch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    const generation = ++this.generation;
    this.abort?.abort();
    try {
      this.abort = await this.watch.watch(
        this.path,
        { ...this.query, resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (phase, obj: T) => {
          if (generation !== this.generation) return;
          if (phase === 'ERROR') {
            expired = (obj as unknown as { code?: number }).code === 410;
            return;
          }
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (phase === 'BOOKMARK') return;
          const key = keyOf(obj);
          const old = this.cache.get(key);
          if (phase === 'DELETED') {
            this.cache.delete(key);
            this.emit('delete', obj);
          } else {
            this.cache.set(key, obj);
            this.emit(old ? 'update' : 'add', obj, old);
          }
        },
        (error: unknown) => {
          if (this.stopped || generation !== this.generation) return;
          if (error && (error as { name?: string }).name !== 'AbortError') {
            this.logger.debug({ err: error, path: this.path }, 'watch ended with an error');
          }
          this.scheduleRetry(expired || !!error);
        },
      );
    } catch (error: unknown) {
      this.logger.debug({ err: error, path: this.path }, 'watch failed to start');
      this.scheduleRetry(true);
    }
  }
}
