import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';
import { waitFor } from '../../../harness/wait-for.js';

const CRD = JSON.parse(readFileSync(new URL('../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8'));
const BASE = '/apis/redwing.dev/v1alpha1/namespaces/default/kvstores';

describe('custom resources (golden 13–20)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    const ext = t.kc.makeApiClient(ApiextensionsV1Api);
    // raw POST: client-node's models would drop `default`/`enum` from a plain-object schema
    const created = await t.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: CRD });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.status, { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1alpha1'] });
    await waitFor('the CRD to be Established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'kvstores.redwing.dev' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    });
  });
  after(async () => t.close());

  it('serves the CRD in discovery with status and scale subresources', async () => {
    const res = await t.request('GET', '/apis/redwing.dev/v1alpha1');
    assert.equal(res.status, 200);
    const names = res.body.resources.map((r: { name: string }) => r.name);
    assert.deepEqual(names.sort(), ['kvstores', 'kvstores/scale', 'kvstores/status']);
    const main = res.body.resources.find((r: { name: string }) => r.name === 'kvstores');
    assert.deepEqual(main.shortNames, ['kvs']);
    assert.equal(main.namespaced, true);
    const unknown = await t.request('GET', '/apis/redwing.dev/v1beta1');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '404 page not found\n');
  });

  it('defaults inside existing objects, prunes unknown fields with sorted warnings', async () => {
    const res = await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'd4', bogusMeta: 1 }, spec: { persistence: { size: '1Gi', extra: true }, unknownSpecField: 1 }, topLevelUnknown: 2 } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.spec, { engine: 'redis', persistence: { enabled: true, size: '1Gi' }, replicas: 3 });
    assert.equal(res.body.metadata.generation, 1);
    assert.deepEqual(res.headers.warning?.split(', '), [
      '299 - "unknown field \\"metadata.bogusMeta\\""',
      '299 - "unknown field \\"spec.persistence.extra\\""',
      '299 - "unknown field \\"spec.unknownSpecField\\""',
      '299 - "unknown field \\"topLevelUnknown\\""',
    ]);
    // custom resources serialize with sorted keys
    assert.deepEqual(Object.keys(res.body), ['apiVersion', 'kind', 'metadata', 'spec']);
    const none = await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'd3' } } });
    assert.equal(none.body.spec, undefined);
    const strict = await t.request('POST', `${BASE}?fieldValidation=Strict`, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'd9' }, spec: { unknownSpecField: 1 }, topLevelUnknown: 2 } });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'KVStore in version "v1alpha1" cannot be handled as a KVStore: strict decoding error: unknown field "spec.unknownSpecField", unknown field "topLevelUnknown"');
  });

  it('answers 422 naming the field paths, with the <nil> cause when CEL rules were skipped', async () => {
    const res = await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'v1' }, spec: { replicas: 99, engine: 'x', persistence: { enabled: 1 } } } });
    assert.equal(res.status, 422);
    assert.equal(res.body.reason, 'Invalid');
    const fields = res.body.details.causes.map((c: { field: string }) => c.field).sort();
    assert.deepEqual(fields, ['<nil>', 'spec.engine', 'spec.persistence.enabled', 'spec.replicas']);
    const engine = res.body.details.causes.find((c: { field: string }) => c.field === 'spec.engine');
    assert.equal(engine.message, 'Unsupported value: "x": supported values: "redis", "valkey", "dragonfly"');
    assert.equal(engine.reason, 'FieldValueNotSupported');
    const max = res.body.details.causes.find((c: { field: string }) => c.field === 'spec.replicas');
    assert.equal(max.message, 'Invalid value: 99: spec.replicas in body should be less than or equal to 15');
    assert.match(res.body.message, /^KVStore\.redwing\.dev "v1" is invalid: \[/);
  });

  it('enforces the CEL transition rule with the type name in the message (golden 16)', async () => {
    const api = t.kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ group: 'redwing.dev', version: 'v1alpha1', namespace: 'default', plural: 'kvstores', body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cel' }, spec: { engine: 'redis' } } });
    const res = await t.request('PATCH', `${BASE}/cel`, { body: { spec: { engine: 'valkey' } }, contentType: 'application/merge-patch+json' });
    assert.equal(res.status, 422);
    assert.equal(res.body.message, 'KVStore.redwing.dev "cel" is invalid: spec.engine: Invalid value: "string": engine is immutable');
  });

  it('status subresource: main writes ignore status, /status ignores spec, generation moves on spec only', async () => {
    const created = await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 's1' }, spec: { replicas: 2 }, status: { phase: 'Ready' } } });
    assert.equal(created.body.status, undefined);
    const statusRes = await t.request('PUT', `${BASE}/s1/status`, { body: { ...created.body, spec: { replicas: 5 }, status: { phase: 'Running', replicas: 2, selector: 'app=kv' } } });
    assert.equal(statusRes.status, 200);
    assert.equal(statusRes.body.spec.replicas, 2);
    assert.equal(statusRes.body.status.phase, 'Running');
    assert.equal(statusRes.body.metadata.generation, 1);
    const mainRes = await t.request('PUT', `${BASE}/s1`, { body: { ...statusRes.body, spec: { ...statusRes.body.spec, replicas: 4 }, status: { phase: 'Ignored' } } });
    assert.equal(mainRes.body.status.phase, 'Running');
    assert.equal(mainRes.body.metadata.generation, 2);
    const stale = await t.request('PUT', `${BASE}/s1/status`, { body: statusRes.body });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
  });

  it('scale subresource returns autoscaling/v1 Scale and writes spec.replicas', async () => {
    const scale = await t.request('GET', `${BASE}/s1/scale`);
    assert.equal(scale.status, 200);
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.apiVersion, 'autoscaling/v1');
    assert.deepEqual(scale.body.spec, { replicas: 4 });
    assert.deepEqual(scale.body.status, { replicas: 2, selector: 'app=kv' });
    const patched = await t.request('PATCH', `${BASE}/s1/scale`, { body: { spec: { replicas: 6 } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.spec.replicas, 6);
    const obj = await t.request('GET', `${BASE}/s1`);
    assert.equal(obj.body.spec.replicas, 6);
    assert.equal(obj.body.metadata.generation, 3);
    const tooMany = await t.request('PATCH', `${BASE}/s1/scale`, { body: { spec: { replicas: 20 } }, contentType: 'application/merge-patch+json' });
    assert.equal(tooMany.status, 422);
    // PUT without Content-Type, as kubectl scale --current-replicas sends it
    const put = await t.request('PUT', `${BASE}/s1/scale`, { body: JSON.stringify({ ...patched.body, spec: { replicas: 5 } }), contentType: '' });
    assert.equal(put.status, 200);
    assert.equal(put.body.spec.replicas, 5);
  });

  it('DELETE returns Status; with a finalizer the object stays with deletionTimestamp until the finalizer goes', async () => {
    await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'f1', finalizers: ['redwing.dev/test'] }, spec: {} } });
    const del = await t.request('DELETE', `${BASE}/f1`);
    assert.equal(del.status, 200);
    assert.equal(del.body.kind, 'KVStore');
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(del.body.metadata.generation, 2);
    const added = await t.request('PATCH', `${BASE}/f1`, { body: { metadata: { finalizers: ['redwing.dev/test', 'redwing.dev/other'] } }, contentType: 'application/merge-patch+json' });
    assert.equal(added.status, 422);
    const removed = await t.request('PATCH', `${BASE}/f1`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    assert.equal(removed.status, 200);
    assert.equal((await t.request('GET', `${BASE}/f1`)).status, 404);
    await t.request('POST', BASE, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'plain' } } });
    const plain = await t.request('DELETE', `${BASE}/plain`);
    assert.deepEqual({ ...plain.body, details: { ...plain.body.details, uid: 'x' } }, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'plain', group: 'redwing.dev', kind: 'kvstores', uid: 'x' } });
  });

  it('lists carry apiVersion/kind on items and an empty continue', async () => {
    const list = await t.request('GET', BASE);
    assert.equal(list.body.kind, 'KVStoreList');
    assert.equal(list.body.metadata.continue, '');
    for (const item of list.body.items) assert.equal(item.kind, 'KVStore');
  });

  it('Table output uses additionalPrinterColumns', async () => {
    const res = await t.request('GET', `${BASE}/s1`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(res.body.kind, 'Table');
    assert.deepEqual(res.body.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Engine', 'Replicas', 'Ready', 'Phase', 'Age']);
    assert.deepEqual(res.body.rows[0].cells.slice(0, 5), ['s1', 'redis', 5, null, 'Running']);
    assert.equal(res.body.rows[0].object.kind, 'PartialObjectMetadata');
  });

  it('serves cluster-scoped custom resources and a second served version', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'kvpolicies.redwing.dev' },
      spec: {
        group: 'redwing.dev', scope: 'Cluster', names: { plural: 'kvpolicies', singular: 'kvpolicy', kind: 'KVPolicy', shortNames: ['kvp'] },
        versions: [
          { name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { enforcement: { type: 'string', default: 'Enforce' } } } } } } },
          { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } },
        ],
      },
    };
    assert.equal((await t.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd })).status, 201);
    await waitFor('v1beta1 to be served', async () => (await t.request('GET', '/apis/redwing.dev/v1beta1/kvpolicies')).status === 200);
    const created = await t.request('POST', '/apis/redwing.dev/v1alpha1/kvpolicies', { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'p1' }, spec: {} } });
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.namespace, undefined);
    assert.equal(created.body.spec.enforcement, 'Enforce');
    const other = await t.request('GET', '/apis/redwing.dev/v1beta1/kvpolicies/p1');
    assert.equal(other.body.apiVersion, 'redwing.dev/v1beta1');
    assert.equal(other.body.metadata.uid, created.body.metadata.uid);
    assert.equal((await t.request('GET', '/apis/redwing.dev/v1alpha1/namespaces/default/kvpolicies')).status, 404);
    const group = await t.request('GET', '/apis/redwing.dev');
    assert.deepEqual(group.body.versions.map((v: { version: string }) => v.version).sort(), ['v1alpha1', 'v1beta1']);
  });

  it('deleting the CRD removes its instances and stops serving the group', async () => {
    const del = await t.request('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kvstores.redwing.dev');
    assert.equal(del.status, 200);
    await waitFor('the CRD to stop being served', async () => (await t.request('GET', `${BASE}`)).status === 404);
    const resources = (await t.request('GET', '/apis/redwing.dev/v1alpha1')).body.resources.map((r: { name: string }) => r.name);
    assert.deepEqual(resources, ['kvpolicies']);
    assert.equal((await t.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kvstores.redwing.dev')).status, 404);
  });
});
