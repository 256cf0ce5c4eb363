// The list-then-watch cache every sandbox component relies on, against the sandbox API server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startTestApiServer } from '../../helpers/api-server.js';
import { Informer } from '../../../sandbox/controllers/client/informer.js';
import { makeRestClient } from '../../../sandbox/controllers/client/rest.js';
import { waitFor } from '../helpers.js';

test('an informer follows adds, updates and deletes, and relists after 410 Gone to catch up on what it missed', async (t) => {
  const { server: api, kubeConfig: kc, stop } = await startTestApiServer({ dirPrefix: 'redwing-informer-' });
  t.after(stop);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = new Informer<V1ConfigMap>(kc, makeRestClient(kc), '/api/v1/namespaces/default/configmaps', pino({ level: 'silent' }));
  t.after(() => informer.stop());
  const seen: string[] = [];
  informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`))
    .on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`))
    .on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));

  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' } } });
  await informer.start();
  assert.ok(informer.hasSynced);
  assert.ok(informer.get('default', 'a'));
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'b' }, data: { v: '1' } } });
  await core.replaceNamespacedConfigMap({ name: 'b', namespace: 'default', body: { metadata: { name: 'b' }, data: { v: '2' } } });
  await waitFor('update of b', () => seen.includes('update b 2'));

  // The connection dies unnoticed (no callbacks from the old stream), the world moves on, history is compacted.
  const internals = informer as unknown as { generation: number; abort?: AbortController; startWatch(): Promise<void> };
  internals.generation++;
  internals.abort?.abort();
  await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' } } });
  api.core.store.compact();
  await internals.startWatch();

  await waitFor('relisted', () => !informer.get('default', 'a') && informer.get('default', 'c'));
  assert.ok(seen.includes('delete a'));
  assert.ok(seen.includes('add c'));
  assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['b', 'c']);
  // And it keeps watching afterwards.
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'd' } } });
  await waitFor('d seen after the relist', () => informer.get('default', 'd'));
});
