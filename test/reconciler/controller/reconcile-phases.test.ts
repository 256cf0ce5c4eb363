/**
 * reconcileStore's phases on a sandbox API server (no kubelet: the pods never start, which is all these need):
 * the store is resolved once per reconcile (counted as reads of the cached object's spec, the input of every
 * defaulting), and a reconcile that fails in a phase shows as a Warning Event ReconcileFailed naming that phase.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeObject } from '../../../kube/client.js';
import { KubeClient } from '../../../kube/client.js';
import type { Informer } from '../../../kube/informer.js';
import { paths } from '../../../kube/paths.js';
import { buildResolvedDesiredObjects } from '../../../reconciler/desired/index.js';
import type { ControllerContext } from '../../../reconciler/controller/context.js';
import { createStoreEventRecorder } from '../../../reconciler/controller/events.js';
import { createStoreInformers, type StoreInformers } from '../../../reconciler/controller/informers.js';
import { ReconcilerMetrics } from '../../../reconciler/controller/metrics.js';
import { reconcileStore } from '../../../reconciler/controller/reconcile-store.js';
import { createStoreController } from '../../../reconciler/controller/store-controller.js';
import { StoreMemories } from '../../../reconciler/controller/store-memory.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { waitFor } from '../../../harness/wait-for.js';
import { installCrds } from './e2e-helpers.js';

const logger = pino({ level: 'silent' });

/** The store informer, handing out the cached stores behind a proxy that counts reads of `spec`. */
function countingSpecReads(stores: Informer): { informer: Informer; reads: () => number } {
  let reads = 0;
  const wrap = (object: KubeObject | undefined) => object && new Proxy(object, {
    get(target, property, receiver) {
      if (property === 'spec') reads += 1;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const informer: Informer = {
    on: (handler) => stores.on(handler),
    get: (namespace, name) => wrap(stores.get(namespace, name)),
    list: (filter) => stores.list(filter),
    listIndexed: (value) => stores.listIndexed(value),
    get size() { return stores.size; },
    get hasSynced() { return stores.hasSynced; },
    start: () => stores.start(),
    waitForSync: () => stores.waitForSync(),
    stop: () => stores.stop(),
  };
  return { informer, reads: () => reads };
}

describe('reconcileStore phases on the sandbox API server', () => {
  const harness = useTestApiServer({ dirPrefix: 'redwing-reconcile-phases-' });
  let client: KubeClient;
  let informers: StoreInformers;
  let counted: ReturnType<typeof countingSpecReads>;

  const contextWith = (overrides: Partial<ControllerContext> = {}): ControllerContext => ({
    client, logger, operatorNamespace: 'redwing-system', memories: new StoreMemories(), probeTimeoutMs: 200,
    informers: { ...informers, stores: counted.informer },
    events: createStoreEventRecorder(client, logger),
    buildDesired: buildResolvedDesiredObjects,
    loadCa: async () => undefined,
    ...overrides,
  });
  const createStore = (name: string, spec: Record<string, unknown>) =>
    client.create(paths.kvstores('default'), { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name }, spec });

  before(async () => {
    client = new KubeClient(harness.kubeConfig);
    await installCrds(client);
    informers = createStoreInformers(client, 'default', logger);
    counted = countingSpecReads(informers.stores);
    await Promise.all(informers.all().map((informer) => informer.start()));
  });
  after(() => {
    for (const informer of informers?.all() ?? []) informer.stop();
    client?.close();
  });

  it('resolves the store once per reconcile', async () => {
    await createStore('counted', { replicas: 1, persistence: { enabled: false } });
    await waitFor('the store in the cache', () => informers.stores.get('default', 'counted'), 10_000, 20);
    const context = contextWith();
    // The first reconcile adds the finalizer and creates the objects; the next ones read the cached store.
    await reconcileStore(context, 'default/counted');
    await waitFor('the finalizer in the cache', () => (informers.stores.get('default', 'counted')?.metadata?.finalizers ?? []).length > 0, 10_000, 20);
    for (let run = 0; run < 2; run += 1) {
      const before = counted.reads();
      await reconcileStore(context, 'default/counted');
      assert.equal(counted.reads() - before, 1, `reconcile ${run + 2} read the store's spec once`);
    }
    assert.ok(informers.statefulSets.get('default', 'counted') ?? await client.getOptional(paths.statefulSet('default', 'counted')), 'the reconcile applied the StatefulSet');
  });

  it('reports a failed phase as a ReconcileFailed Event on the store', async () => {
    await createStore('failing', { replicas: 1, persistence: { enabled: false }, tls: { enabled: true } });
    await waitFor('the store in the cache', () => informers.stores.get('default', 'failing'), 10_000, 20);
    const context = contextWith({ loadCa: async () => { throw new Error('the operator CA Secret cannot be read'); } });
    const controller = createStoreController({ context, metrics: new ReconcilerMetrics(), release: () => undefined });
    const term = new AbortController();
    const running = controller.start(term.signal);
    controller.enqueue('default/failing');
    try {
      const event = await waitFor('the ReconcileFailed Event', async () => {
        const events = await client.list<KubeObject & { reason?: string; message?: string; type?: string; involvedObject?: { name?: string } }>(paths.core('events', 'default'));
        return events.items.find((item) => item.reason === 'ReconcileFailed' && item.involvedObject?.name === 'failing');
      }, 15_000, 100);
      assert.equal(event.type, 'Warning');
      assert.equal(event.message, 'secrets phase failed: the operator CA Secret cannot be read; retrying');
    } finally {
      term.abort();
      await running;
    }
  });
});
