/** Informer caches filled by hand, for tests that drive the store watches without an API server. */
import type { KubeObject } from '../../kube/client.js';
import type { Informer, InformerEvent, InformerHandler } from '../../kube/informer.js';
import { PerNamespaceInformer } from '../../kube/per-namespace-informer.js';
import type { StoreInformers } from '../../reconciler/controller/informers.js';

/** A cache filled by hand; `change` updates it and runs the handlers as an informer does. */
export class HandInformer implements Informer {
  private readonly handlers: InformerHandler<KubeObject>[] = [];
  private readonly objects = new Map<string, KubeObject>();
  on(handler: InformerHandler<KubeObject>): void { this.handlers.push(handler); }
  get(namespace: string | undefined, name: string): KubeObject | undefined { return this.objects.get(`${namespace}/${name}`); }
  list(filter?: (object: KubeObject) => boolean): KubeObject[] { return [...this.objects.values()].filter(filter ?? (() => true)); }
  listIndexed(): KubeObject[] { return []; }
  get size(): number { return this.objects.size; }
  readonly hasSynced = true;
  start(): Promise<void> { return Promise.resolve(); }
  waitForSync(): Promise<void> { return Promise.resolve(); }
  stop(): void {}
  change(event: InformerEvent, object: KubeObject, previous?: KubeObject): void {
    const key = `${object.metadata?.namespace}/${object.metadata?.name}`;
    if (event === 'delete') this.objects.delete(key);
    else this.objects.set(key, object);
    for (const handler of this.handlers) handler(event, object, previous);
  }
}

/** The reconciler's store informers, every one hand-filled; `caches` are the two the store watches react to. */
export function handStoreInformers(): { caches: { stores: HandInformer; pods: HandInformer }; informers: StoreInformers } {
  const caches = { stores: new HandInformer(), pods: new HandInformer() };
  const informers: StoreInformers = {
    stores: caches.stores, pods: caches.pods, statefulSets: new HandInformer(), services: new HandInformer(),
    secrets: new PerNamespaceInformer(() => new HandInformer()), persistentVolumeClaims: new HandInformer(),
    configMaps: new HandInformer(), podDisruptionBudgets: new HandInformer(), all: () => [],
  };
  return { caches, informers };
}
