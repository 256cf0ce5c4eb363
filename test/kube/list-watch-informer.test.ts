/** Informers against the sandbox API server over real HTTPS: list, watch, selectors, trimming, retry with backoff. */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { useTestApiServer } from '../helpers/api-server.js';
import { ListWatchInformer } from '../../kube/list-watch-informer.js';
import type { InformerEvent } from '../../kube/informer.js';
import { KubeClient, type KubeObject } from '../../kube/client.js';
import { paths } from '../../kube/paths.js';
import { MANAGED_SELECTOR, podStoreKey } from '../../reconciler/controller/informers.js';
import { trimPod } from '../../reconciler/controller/cache-trims.js';
import { installCrds, kvstore, waitFor } from '../reconciler/controller/e2e-helpers.js';

function configMap(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: { a: '1' } };
}

describe('ListWatchInformer', { timeout: 60_000 }, () => {
  let client: KubeClient;
  after(() => client?.close());
  const api = useTestApiServer({ dirPrefix: 'redwing-informer-' });
  before(() => {
    client = new KubeClient(api.kubeConfig);
  });

  it('lists, then reports add, update and delete of matching objects only', async () => {
    await client.create(paths.core('configmaps', 'default'), configMap('before', { 'app.kubernetes.io/managed-by': 'redwing' }));
    const informer = new ListWatchInformer(client, { name: 'cm', path: paths.core('configmaps', 'default'), labelSelector: MANAGED_SELECTOR });
    const events: Array<[InformerEvent, string, string | undefined]> = [];
    informer.on((event, object, previous) => events.push([event, object.metadata!.name!, (previous?.data as Record<string, string> | undefined)?.a]));
    await informer.start();
    try {
      assert.equal(informer.hasSynced, true);
      assert.deepEqual(events, [['add', 'before', undefined]]);
      // Listed objects carry apiVersion and kind like watched ones (the apply layer compares them).
      assert.deepEqual([informer.get('default', 'before')!.apiVersion, informer.get('default', 'before')!.kind], ['v1', 'ConfigMap']);
      await client.create(paths.core('configmaps', 'default'), configMap('other', { team: 'x' }));
      await client.create(paths.core('configmaps', 'default'), configMap('after', { 'app.kubernetes.io/managed-by': 'redwing' }));
      await client.patch(paths.coreObject('configmaps', 'default', 'after'), { data: { a: '2' } });
      await client.delete(paths.coreObject('configmaps', 'default', 'before'));
      await waitFor('the watch events', () => events.length >= 4, 10_000, 20);
      assert.deepEqual(events, [['add', 'before', undefined], ['add', 'after', undefined], ['update', 'after', '1'], ['delete', 'before', undefined]]);
      assert.deepEqual(informer.list().map((object) => object.metadata!.name), ['after']);
      assert.equal((informer.get('default', 'after')!.data as Record<string, string>).a, '2');
      assert.equal(informer.get('default', 'other'), undefined, 'the label selector filters');
    } finally {
      informer.stop();
    }
  });

  it('keeps a secondary index in step with adds, relabels and deletes', async () => {
    const informer = new ListWatchInformer(client, { name: 'indexed', path: paths.core('configmaps', 'default'), indexBy: podStoreKey });
    await informer.start();
    try {
      await client.create(paths.core('configmaps', 'default'), configMap('i-1', { 'app.kubernetes.io/instance': 'one' }));
      await client.create(paths.core('configmaps', 'default'), configMap('i-2', { 'app.kubernetes.io/instance': 'one' }));
      await waitFor('both indexed', () => informer.listIndexed('default/one').length === 2, 10_000, 20);
      await client.patch(paths.coreObject('configmaps', 'default', 'i-2'), { metadata: { labels: { 'app.kubernetes.io/instance': 'two' } } });
      await waitFor('the relabel', () => informer.listIndexed('default/two').length === 1, 10_000, 20);
      assert.deepEqual(informer.listIndexed('default/one').map((object) => object.metadata!.name), ['i-1']);
      await client.delete(paths.coreObject('configmaps', 'default', 'i-1'));
      await waitFor('the delete', () => informer.listIndexed('default/one').length === 0, 10_000, 20);
      assert.deepEqual(informer.listIndexed('default/two').map((object) => object.metadata!.name), ['i-2']);
    } finally {
      informer.stop();
    }
  });

  it('trims cached objects with its transform', async () => {
    const informer = new ListWatchInformer(client, { name: 'trim', path: paths.core('configmaps', 'default'), transform: trimPod });
    await informer.start();
    try {
      const cached = informer.get('default', 'after')!;
      assert.equal(cached.data, undefined, 'fields the transform drops are not cached');
      assert.equal(cached.metadata!.name, 'after');
      assert.equal(cached.metadata!.managedFields, undefined);
    } finally {
      informer.stop();
    }
  });

  it('keeps retrying with backoff while the resource is not served, and syncs once it is', async () => {
    const informer = new ListWatchInformer(client, { name: 'kvs', path: paths.kvstores('default'), baseBackoffMs: 50, maxBackoffMs: 200 });
    const synced = informer.start();
    let settled = false;
    void synced.then(() => { settled = true; });
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(settled, false, 'no sync while the KVStore API does not exist');
      await installCrds(client);
      await client.create(paths.kvstores('default'), kvstore('late', { replicas: 1 }));
      await synced;
      await waitFor('the store in the cache', () => informer.get('default', 'late') !== undefined, 10_000, 20);
      assert.ok(informer.listCount >= 1);
    } finally {
      informer.stop();
    }
  });
});
