/**
 * One Informer made of a list + watch per namespace, each started the first time its namespace is needed. For kinds
 * whose access RBAC can narrow only by namespace (Secrets): a controller bound in a few namespaces can read there
 * with RoleBindings, where a single cluster-wide informer needs list/watch on every namespace's objects.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from './client.js';
import type { Informer, InformerHandler } from './informer.js';

export class PerNamespaceInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  private readonly children = new Map<string, Informer<T>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private started = false;

  /** `create` builds the (not yet started) informer of one namespace. */
  constructor(private readonly create: (namespace: string) => Informer<T>) {}

  /** Namespaces watched so far. */
  get namespaces(): string[] {
    return [...this.children.keys()];
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
    for (const child of this.children.values()) child.on(handler);
  }

  /**
   * Watches `namespace` from now on (once) and waits up to `timeoutMs` for its first list. False when that list has
   * not come (forbidden, API server slow): readers then find nothing cached there and read by name instead.
   */
  async watchNamespace(namespace: string, timeoutMs: number): Promise<boolean> {
    let child = this.children.get(namespace);
    if (!child) {
      child = this.create(namespace);
      for (const handler of this.handlers) child.on(handler);
      this.children.set(namespace, child);
      if (this.started) void child.start();
    }
    if (child.hasSynced) return true;
    if (!this.started) return false;
    const timeout = new AbortController();
    const synced = await Promise.race([
      child.waitForSync().then(() => true),
      sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    return synced && child.hasSynced;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return namespace === undefined ? undefined : this.children.get(namespace)?.get(namespace, name);
  }

  list(filter?: (object: T) => boolean): T[] {
    return [...this.children.values()].flatMap((child) => child.list(filter));
  }

  listIndexed(value: string): T[] {
    return [...this.children.values()].flatMap((child) => child.listIndexed(value));
  }

  get size(): number {
    let total = 0;
    for (const child of this.children.values()) total += child.size;
    return total;
  }

  /** Every namespace watched so far has listed once. */
  get hasSynced(): boolean {
    return [...this.children.values()].every((child) => child.hasSynced);
  }

  /**
   * Starts the namespaces asked for so far and resolves at once: a namespace the caller may not read must not hold up
   * the controller's start (watchNamespace bounds each wait).
   */
  start(): Promise<void> {
    this.started = true;
    for (const child of this.children.values()) void child.start();
    return Promise.resolve();
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }

  stop(): void {
    this.started = false;
    for (const child of this.children.values()) child.stop();
  }
}
