import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/client.js';
import type { Informer, InformerHandler } from '../../kube/informer.js';
import { PerNamespaceInformer } from '../../kube/per-namespace-informer.js';

/** A namespace's cache filled by hand; `synced` says whether its first list came (a forbidden one never does). */
class FixedInformer implements Informer {
  readonly handlers: InformerHandler<KubeObject>[] = [];
  readonly objects = new Map<string, KubeObject>();
  started = false;
  stopped = false;
  private waiters: Array<() => void> = [];
  constructor(readonly namespace: string, private synced: boolean) {}
  on(handler: InformerHandler<KubeObject>): void { this.handlers.push(handler); }
  get(namespace: string | undefined, name: string): KubeObject | undefined { return this.objects.get(`${namespace}/${name}`); }
  list(filter?: (object: KubeObject) => boolean): KubeObject[] { return [...this.objects.values()].filter(filter ?? (() => true)); }
  listIndexed(value: string): KubeObject[] { return this.list((object) => object.metadata?.labels?.store === value); }
  get size(): number { return this.objects.size; }
  get hasSynced(): boolean { return this.synced; }
  start(): Promise<void> { this.started = true; return this.waitForSync(); }
  waitForSync(): Promise<void> { return this.synced ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve)); }
  stop(): void { this.stopped = true; }
  add(name: string): void {
    const object = { metadata: { name, namespace: this.namespace, labels: { store: 'a' } } };
    this.objects.set(`${this.namespace}/${name}`, object);
    for (const handler of this.handlers) handler('add', object);
  }
  finishList(): void { this.synced = true; this.waiters.splice(0).forEach((resolve) => resolve()); }
}

function fixture(forbidden: string[] = []) {
  const children = new Map<string, FixedInformer>();
  const informer = new PerNamespaceInformer((namespace) => {
    const child = new FixedInformer(namespace, !forbidden.includes(namespace));
    children.set(namespace, child);
    return child;
  });
  return { informer, children };
}

describe('PerNamespaceInformer', () => {
  it('watches a namespace when first asked, reads through it, and hands it the handlers registered before', async () => {
    const { informer, children } = fixture();
    const seen: string[] = [];
    informer.on((event, object) => seen.push(`${event} ${object.metadata?.namespace}/${object.metadata?.name}`));
    await informer.start();
    assert.equal(await informer.watchNamespace('team-a', 1_000), true);
    assert.equal(await informer.watchNamespace('team-a', 1_000), true, 'asking again starts nothing new');
    assert.equal(children.size, 1);
    children.get('team-a')!.add('cache-auth');
    assert.deepEqual(seen, ['add team-a/cache-auth']);
    assert.equal(informer.get('team-a', 'cache-auth')?.metadata?.name, 'cache-auth');
    assert.equal(informer.get('team-b', 'cache-auth'), undefined, 'another namespace is not watched');
    assert.equal(informer.size, 1);
    assert.equal(informer.listIndexed('a').length, 1);
    assert.deepEqual(informer.namespaces, ['team-a']);
  });

  it('does not let a namespace it may not list hold up the start or a reconcile beyond the wait it is given', async () => {
    const { informer, children } = fixture(['team-b']);
    await informer.start();
    assert.equal(await informer.watchNamespace('team-b', 50), false);
    assert.equal(informer.hasSynced, false);
    await informer.waitForSync();
    // Granted later: the same informer lists and the next wait succeeds.
    children.get('team-b')!.finishList();
    assert.equal(await informer.watchNamespace('team-b', 50), true);
    assert.equal(informer.hasSynced, true);
  });

  it('starts namespaces asked for before the start only at the start, and stops them all', async () => {
    const { informer, children } = fixture();
    await informer.watchNamespace('team-a', 50);
    assert.equal(children.get('team-a')!.started, false);
    await informer.start();
    assert.equal(children.get('team-a')!.started, true);
    informer.stop();
    assert.equal(children.get('team-a')!.stopped, true);
  });
});
