import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';
import { waitFor } from '../../../harness/wait-for.js';

const CM = '/api/v1/namespaces/default/configmaps';

describe('core verbs on ConfigMaps (golden 04, 05, 07, 08)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  it('rejects requests without a valid token with a 401 Status', async () => {
    const res = await t.request('GET', CM, { token: 'wrong' });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it('starts with the default, kube-system and kube-public namespaces', async () => {
    const core = t.kc.makeApiClient(CoreV1Api);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    for (const ns of ['default', 'kube-system', 'kube-public']) assert.ok(names.includes(ns), ns);
  });

  it('create, get, conflict and not-found answers match kube-apiserver', async () => {
    const created = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', labels: { app: 'demo' } }, data: { a: '1', b: '2' } }, headers: { 'user-agent': 'golden-recorder/1.0' } });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body), ['kind', 'apiVersion', 'metadata', 'data']);
    assert.deepEqual(created.body.metadata.managedFields[0].fieldsV1, { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } });
    assert.equal(created.body.metadata.managedFields[0].manager, 'golden-recorder');
    assert.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
    const again = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' } } });
    assert.deepEqual(again.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "cm1" already exists', reason: 'AlreadyExists', details: { name: 'cm1', kind: 'configmaps' }, code: 409 });
    const missing = await t.request('GET', `${CM}/missing`);
    assert.deepEqual(missing.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "missing" not found', reason: 'NotFound', details: { name: 'missing', kind: 'configmaps' }, code: 404 });
    const withRv = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm3', resourceVersion: '12' } } });
    assert.equal(withRv.status, 500);
    assert.equal(withRv.body.reason, undefined);
    const badName = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } } });
    assert.equal(badName.status, 422);
    assert.equal(badName.body.details.causes[0].field, 'metadata.name');
    const wrongKind = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } } });
    assert.equal(wrongKind.status, 400);
    const noNs = await t.request('POST', '/api/v1/namespaces/nope/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } });
    assert.equal(noNs.status, 404);
    assert.equal(noNs.body.message, 'namespaces "nope" not found');
  });

  it('PUT honours resourceVersion (409 when stale) and replaces the object', async () => {
    const current = (await t.request('GET', `${CM}/cm1`)).body;
    const ok = await t.request('PUT', `${CM}/cm1`, { body: { ...current, data: { a: '10' } } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.data, { a: '10' });
    assert.ok(Number(ok.body.metadata.resourceVersion) > Number(current.metadata.resourceVersion));
    const stale = await t.request('PUT', `${CM}/cm1`, { body: { ...current, data: { a: 'stale' } } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.message, 'Operation cannot be fulfilled on configmaps "cm1": the object has been modified; please apply your changes to the latest version and try again');
    const mismatch = await t.request('PUT', `${CM}/cm1`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } } });
    assert.equal(mismatch.body.message, 'the name of the object (other) does not match the name on the URL (cm1)');
    const noCreate = await t.request('PUT', `${CM}/cm2`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm2' } } });
    assert.equal(noCreate.status, 404);
  });

  it('a body naming another uid never overwrites the object: PUT 409 (storage precondition), PATCH 422 (immutable)', async () => {
    const current = (await t.request('GET', `${CM}/cm1`)).body;
    const foreign = '00000000-0000-0000-0000-000000000000';
    const put = await t.request('PUT', `${CM}/cm1`, { body: { ...current, metadata: { ...current.metadata, uid: foreign }, data: { a: 'foreign' } } });
    assert.equal(put.status, 409);
    assert.equal(put.body.reason, 'Conflict');
    assert.equal(put.body.message, `Operation cannot be fulfilled on configmaps "cm1": StorageError: invalid object, Code: 4, Key: /registry/configmaps/default/cm1, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${foreign}, UID in object meta: ${current.metadata.uid}`);
    const patch = await t.request('PATCH', `${CM}/cm1`, { body: { metadata: { uid: foreign }, data: { a: 'foreign' } }, contentType: 'application/merge-patch+json' });
    assert.equal(patch.status, 422);
    assert.equal(patch.body.message, `ConfigMap "cm1" is invalid: metadata.uid: Invalid value: "${foreign}": field is immutable`);
    const matching = await t.request('PATCH', `${CM}/cm1`, { body: { metadata: { uid: current.metadata.uid } }, contentType: 'application/merge-patch+json' });
    assert.equal(matching.status, 200);
    const after = (await t.request('GET', `${CM}/cm1`)).body;
    assert.deepEqual(after.data, current.data);
    assert.equal(after.metadata.uid, current.metadata.uid);
  });

  it('merge, JSON and strategic merge patches; a no-op patch keeps the resourceVersion', async () => {
    const merged = await t.request('PATCH', `${CM}/cm1`, { body: { data: { b: 'x' } }, contentType: 'application/merge-patch+json' });
    assert.deepEqual(merged.body.data, { a: '10', b: 'x' });
    const noop = await t.request('PATCH', `${CM}/cm1`, { body: { data: { b: 'x' } }, contentType: 'application/merge-patch+json' });
    assert.equal(noop.body.metadata.resourceVersion, merged.body.metadata.resourceVersion);
    const json = await t.request('PATCH', `${CM}/cm1`, { body: [{ op: 'replace', path: '/data/new', value: 'added' }], contentType: 'application/json-patch+json' });
    assert.equal(json.body.data.new, 'added');
    const failed = await t.request('PATCH', `${CM}/cm1`, { body: [{ op: 'test', path: '/data/a', value: 'nope' }], contentType: 'application/json-patch+json' });
    assert.equal(failed.status, 422);
    assert.equal(failed.body.message, 'the server rejected our request due to an error in our request');
    const smp = await t.request('PATCH', `${CM}/cm1`, { body: { data: { a: null, c: '3' } }, contentType: 'application/strategic-merge-patch+json' });
    assert.deepEqual(smp.body.data, { b: 'x', c: '3', new: 'added' });
    const stale = await t.request('PATCH', `${CM}/cm1`, { body: { metadata: { resourceVersion: '1' }, data: { z: '1' } }, contentType: 'application/merge-patch+json' });
    assert.equal(stale.status, 409);
    const wrongType = await t.request('PATCH', `${CM}/cm1`, { body: { data: {} }, contentType: 'application/json' });
    assert.equal(wrongType.status, 415);
  });

  it('defaults pods; strategic merge patch merges containers and env by name', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { containers: [{ name: 'a', image: 'redis:7' }, { name: 'b', image: 'busybox' }] } };
    const created = await t.request('POST', '/api/v1/namespaces/default/pods', { body: pod });
    assert.equal(created.status, 201);
    assert.equal(created.body.spec.restartPolicy, 'Always');
    assert.equal(created.body.spec.terminationGracePeriodSeconds, 30);
    assert.equal(created.body.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(created.body.spec.containers[1].imagePullPolicy, 'Always');
    assert.deepEqual(created.body.status, { phase: 'Pending', qosClass: 'BestEffort' });
    const patched = await t.request('PATCH', '/api/v1/namespaces/default/pods/p1', { body: { spec: { containers: [{ name: 'a', image: 'redis:7.4' }] } }, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.spec.containers.map((c: { image: string }) => c.image), ['redis:7.4', 'busybox']);
    const forbidden = await t.request('PATCH', '/api/v1/namespaces/default/pods/p1', { body: { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } }, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(forbidden.status, 422);
    const sts = {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kv' },
      spec: { serviceName: 'kv', replicas: 2, selector: { matchLabels: { app: 'kv' } }, template: { metadata: { labels: { app: 'kv' } }, spec: { containers: [{ name: 'main', image: 'redis:7', env: [{ name: 'X', value: '1' }], ports: [{ containerPort: 6379, name: 'redis' }] }] } } },
    };
    const createdSts = await t.request('POST', '/apis/apps/v1/namespaces/default/statefulsets', { body: sts });
    assert.equal(createdSts.status, 201);
    assert.equal(createdSts.body.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(createdSts.body.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(createdSts.body.spec.revisionHistoryLimit, 10);
    assert.deepEqual(createdSts.body.status, { replicas: 0, availableReplicas: 0 });
    assert.equal(createdSts.body.metadata.generation, 1);
    const smp = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv', { body: { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'Y', value: '2' }] }] } } } }, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 200);
    assert.deepEqual(smp.body.spec.template.spec.containers[0].env, [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }]);
    assert.equal(smp.body.metadata.generation, 2);
    const scale = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv/scale', { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' });
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.spec.replicas, 3);
    assert.equal(scale.body.status.selector, 'app=kv');
  });

  it('allocates Service ClusterIPs from 127.1.0.0/16 and keeps them immutable (documented divergence)', async () => {
    const svc = await t.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-ip' }, spec: { selector: { app: 'kv' }, ports: [{ port: 6379 }] } } });
    assert.equal(svc.status, 201);
    assert.match(svc.body.spec.clusterIP, /^127\.1\.\d+\.\d+$/);
    assert.deepEqual(svc.body.spec.clusterIPs, [svc.body.spec.clusterIP]);
    assert.deepEqual(svc.body.spec.ports, [{ protocol: 'TCP', port: 6379, targetPort: 6379 }]);
    assert.equal(svc.body.spec.sessionAffinity, 'None');
    assert.deepEqual(svc.body.status, { loadBalancer: {} });
    const other = await t.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-ip2' }, spec: { ports: [{ port: 1 }] } } });
    assert.notEqual(other.body.spec.clusterIP, svc.body.spec.clusterIP);
    const headless = await t.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-headless' }, spec: { clusterIP: 'None', ports: [{ port: 6379 }] } } });
    assert.equal(headless.body.spec.clusterIP, 'None');
    const changed = await t.request('PATCH', '/api/v1/namespaces/default/services/svc-ip', { body: { spec: { clusterIP: '127.1.9.9', clusterIPs: ['127.1.9.9'] } }, contentType: 'application/merge-patch+json' });
    assert.equal(changed.status, 422);
    const put = await t.request('PUT', '/api/v1/namespaces/default/services/svc-ip', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-ip' }, spec: { ports: [{ port: 6380 }] } } });
    assert.equal(put.status, 200);
    assert.equal(put.body.spec.clusterIP, svc.body.spec.clusterIP);
  });

  it('selects by labels and fields, with kube-apiserver error messages', async () => {
    for (const [name, labels] of [['l1', { app: 'web', tier: 'front' }], ['l2', { app: 'db' }], ['l3', { app: 'cache', tier: 'back' }]] as const) {
      await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { ...labels, sel: 'yes' } } } });
    }
    const names = async (query: string): Promise<string[]> => (await t.request('GET', `${CM}?${query}`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(await names('labelSelector=app%3Dweb'), ['l1']);
    assert.deepEqual(await names('labelSelector=sel%3Dyes,app!%3Dweb'), ['l2', 'l3']);
    assert.deepEqual(await names('labelSelector=app%20in%20(web,db)'), ['l1', 'l2']);
    assert.deepEqual(await names('labelSelector=sel,app%20notin%20(web)'), ['l2', 'l3']);
    assert.deepEqual(await names('labelSelector=sel,!tier'), ['l2']);
    assert.deepEqual(await names('labelSelector=sel%3D%3Dyes,tier'), ['l1', 'l3']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dl2'), ['l2']);
    assert.deepEqual(await names('fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Dl2&labelSelector=sel'), ['l1', 'l3']);
    const bad = await t.request('GET', `${CM}?labelSelector=app%20in%20(web`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, "unable to parse requirement: found '', expected: ',' or ')'");
    const badField = await t.request('GET', `${CM}?fieldSelector=data.name%3Dl1`);
    assert.equal(badField.body.message, '"data.name" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('paginates with limit/continue over a consistent snapshot', async () => {
    const first = await t.request('GET', `${CM}?labelSelector=sel&limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.metadata.continue);
    assert.equal(first.body.metadata.remainingItemCount, undefined);
    await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l4', labels: { sel: 'yes' } } } });
    const second = await t.request('GET', `${CM}?labelSelector=sel&limit=2&continue=${first.body.metadata.continue}`);
    assert.deepEqual(second.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['l3']);
    assert.equal(second.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
    assert.equal(second.body.metadata.continue, undefined);
    const unfiltered = await t.request('GET', `${CM}?limit=1`);
    assert.ok(unfiltered.body.metadata.remainingItemCount > 0);
    const badToken = await t.request('GET', `${CM}?limit=2&continue=garbage`);
    assert.equal(badToken.status, 400);
    const both = await t.request('GET', `${CM}?limit=2&continue=${first.body.metadata.continue}&resourceVersion=5`);
    assert.equal(both.body.message, 'specifying resource version is not allowed when using continue');
    const nonNumeric = await t.request('GET', `${CM}?resourceVersion=abc`);
    assert.equal(nonNumeric.status, 500);
  });

  it('deletes with preconditions, dryRun and Foreground/Orphan finalizers', async () => {
    const cm = (await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'del1' } } })).body;
    const pre = await t.request('DELETE', `${CM}/del1`, { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: '1' } } });
    assert.equal(pre.status, 409);
    assert.equal(pre.body.message, `Operation cannot be fulfilled on ConfigMap "del1": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${cm.metadata.resourceVersion}). The object might have been modified`);
    const dry = await t.request('DELETE', `${CM}/del1?dryRun=All`);
    assert.equal(dry.body.status, 'Success');
    assert.equal((await t.request('GET', `${CM}/del1`)).status, 200);
    const fg = await t.request('DELETE', `${CM}/del1`, { body: { propagationPolicy: 'Foreground' } });
    assert.equal(fg.body.kind, 'ConfigMap');
    assert.deepEqual(fg.body.metadata.finalizers, ['foregroundDeletion']);
    assert.ok(fg.body.metadata.deletionTimestamp);
    await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'del2' } } });
    const orphan = await t.request('DELETE', `${CM}/del2?propagationPolicy=Orphan`);
    assert.deepEqual(orphan.body.metadata.finalizers, ['orphan']);
    const gone = await t.request('PATCH', `${CM}/del2`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    assert.equal(gone.status, 200);
    assert.equal((await t.request('GET', `${CM}/del2`)).status, 404);
    const dryCreate = await t.request('POST', `${CM}?dryRun=All`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } } });
    assert.equal(dryCreate.status, 201);
    assert.equal(dryCreate.body.metadata.resourceVersion, undefined);
    assert.equal((await t.request('GET', `${CM}/dry`)).status, 404);
    const badDry = await t.request('POST', `${CM}?dryRun=Maybe`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } } });
    assert.equal(badDry.status, 422);
  });

  it('generateName produces a 5-character suffix', async () => {
    const res = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } } });
    assert.match(res.body.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('watches from a resourceVersion through client-node, with selector transitions', async () => {
    const core = t.kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'watch=yes' });
    const events: string[] = [];
    const watch = new Watch(t.kc);
    const req = await watch.watch(`${CM}`, { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watch=yes' }, (type, obj) => events.push(`${type} ${obj.metadata.name} ${obj.data?.k ?? ''}`), () => undefined);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1', labels: { watch: 'yes' } }, data: { k: 'v1' } } });
    await t.request('PATCH', `${CM}/w1`, { body: { data: { k: 'v2' } }, contentType: 'application/merge-patch+json' });
    await t.request('PATCH', `${CM}/w1`, { body: { metadata: { labels: { watch: 'no' } }, data: { k: 'v3' } }, contentType: 'application/merge-patch+json' });
    await t.request('PATCH', `${CM}/w1`, { body: { data: { k: 'v4' } }, contentType: 'application/merge-patch+json' });
    await t.request('PATCH', `${CM}/w1`, { body: { metadata: { labels: { watch: 'yes' } } }, contentType: 'application/merge-patch+json' });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    await waitFor('watch events', () => events.length >= 5, 5000);
    req.abort();
    // leaving the selector is a DELETED carrying the previous state
    assert.deepEqual(events, ['ADDED w1 v1', 'MODIFIED w1 v2', 'DELETED w1 v2', 'ADDED w1 v4', 'DELETED w1 v4']);
  });

  it('a watch from a compacted resourceVersion gets HTTP 200 and one ERROR 410 event', async () => {
    t.server.core.store.compact();
    const res = await t.request('GET', `${CM}?watch=true&resourceVersion=1`);
    assert.equal(res.status, 200);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'ERROR');
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, 'Expired');
    assert.match(events[0].object.message, /^too old resource version: 1 \(\d+\)$/);
  });

  it('a watch without resourceVersion sends ADDED for existing objects and the initial-events-end bookmark', async () => {
    const res = await t.request('GET', `${CM}?watch=1&fieldSelector=metadata.name%3Dl1&timeoutSeconds=1&allowWatchBookmarks=true`);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events[0].type, 'ADDED');
    assert.equal(events[0].object.metadata.name, 'l1');
    assert.equal(events[1].type, 'BOOKMARK');
    assert.equal(events[1].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  });

  it('deletecollection returns the deleted objects', async () => {
    const res = await t.request('DELETE', `${CM}?labelSelector=sel`);
    assert.equal(res.body.kind, 'ConfigMapList');
    assert.equal(res.body.items.length, 4);
    assert.equal((await t.request('GET', `${CM}?labelSelector=sel`)).body.items.length, 0);
  });

  it('text 404 under /apis, JSON 404 for unknown core resources, 405 on wrong verbs', async () => {
    assert.equal((await t.request('GET', '/apis/nope.dev/v1/things')).text, '404 page not found\n');
    assert.equal((await t.request('GET', '/api/v1/nosuchresource')).body.message, 'the server could not find the requested resource');
    assert.equal((await t.request('POST', `${CM}/somename`, { body: {} })).status, 405);
    assert.equal((await t.request('PUT', CM, { body: {} })).status, 405);
  });
});
