// The list + watch cache relists after 410 Gone, against the sandbox API server (its store can be compacted).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startTestApiServer } from '../helpers/api-server.js';
import { waitFor } from '../../harness/wait-for.js';
import { KubeClient } from '../../kube/client.js';
import type { WatchHandle } from '../../kube/client.js';
import { ListWatchInformer } from '../../kube/list-watch-informer.js';

test('an informer follows adds, updates and deletes, and relists after 410 Gone to catch up on what it missed', async (t) => {
  const { server: api, kubeConfig: kc, stop } = await startTestApiServer({ dirPrefix: 'redwing-informer-' });
  t.after(stop);
  const core = kc.makeApiClient(CoreV1Api);
  const client = new KubeClient(kc);
  t.after(() => client.close());
  const path = '/api/v1/namespaces/default/configmaps';
  const informer = new ListWatchInformer<V1ConfigMap>(client, { name: 'configmaps', path, logger: pino({ level: 'silent' }) });
  t.after(() => informer.stop());
  const seen: string[] = [];
  informer.on((event, o) => seen.push(event === 'update' ? `update ${o.metadata?.name} ${o.data?.v}` : `${event} ${o.metadata?.name}`));

  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' } } });
  await informer.start();
  assert.ok(informer.hasSynced);
  assert.ok(informer.get('default', 'a'));
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'b' }, data: { v: '1' } } });
  await core.replaceNamespacedConfigMap({ name: 'b', namespace: 'default', body: { metadata: { name: 'b' }, data: { v: '2' } } });
  await waitFor('update of b', () => seen.includes('update b 2'));

  // The connection dies unnoticed (no callbacks from the old stream), the world moves on, history is compacted.
  const internals = informer as unknown as { abort?: WatchHandle; listAndWatch(): Promise<void> };
  internals.abort?.abort();
  await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' } } });
  api.core.store.compact();
  await internals.listAndWatch();

  await waitFor('relisted', () => !informer.get('default', 'a') && informer.get('default', 'c'));
  assert.ok(seen.includes('delete a'));
  assert.ok(seen.includes('add c'));
  assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['b', 'c']);
  // And it keeps watching afterwards.
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'd' } } });
  await waitFor('d seen after the relist', () => informer.get('default', 'd'));
});
