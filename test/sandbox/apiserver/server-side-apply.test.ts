import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Condition, V1Container, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';
const APPLY = 'application/apply-patch+yaml';

describe('server-side apply (golden 06)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  it('tracks owners, reports conflicts, forces, and removes fields a manager stops applying', async () => {
    const alice = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sa1\n  labels:\n    owner: alice\ndata:\n  a: "1"\n  b: "2"\n';
    const created = await t.request('PATCH', `${CM}/sa1?fieldManager=alice`, { body: alice, contentType: APPLY });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.metadata.managedFields.map((m: V1ManagedFieldsEntry) => [m.manager, m.operation, m.fieldsV1]), [['alice', 'Apply', { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:owner': {} } } }]]);
    const again = await t.request('PATCH', `${CM}/sa1?fieldManager=alice`, { body: alice, contentType: APPLY });
    assert.equal(again.body.metadata.resourceVersion, created.body.metadata.resourceVersion);

    const bob = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sa1\ndata:\n  a: "bob-value"\n  z: "26"\n';
    const conflict = await t.request('PATCH', `${CM}/sa1?fieldManager=bob`, { body: bob, contentType: APPLY });
    assert.equal(conflict.status, 409);
    assert.deepEqual(conflict.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Apply failed with 1 conflict: conflict with "alice": .data.a', reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.a' }] }, code: 409 });
    const forced = await t.request('PATCH', `${CM}/sa1?fieldManager=bob&force=true`, { body: bob, contentType: APPLY });
    assert.equal(forced.status, 200);
    assert.deepEqual(forced.body.data, { a: 'bob-value', b: '2', z: '26' });
    const owners = Object.fromEntries(forced.body.metadata.managedFields.map((m: V1ManagedFieldsEntry) => [m.manager, m.fieldsV1]));
    assert.deepEqual(owners.alice, { 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:owner': {} } } });
    assert.deepEqual(owners.bob, { 'f:data': { 'f:a': {}, 'f:z': {} } });

    const missing = await t.request('PATCH', `${CM}/sa1`, { body: bob, contentType: APPLY });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');

    const dropped = await t.request('PATCH', `${CM}/sa1?fieldManager=alice`, { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sa1\n', contentType: APPLY });
    assert.deepEqual(dropped.body.data, { a: 'bob-value', z: '26' });
    assert.equal(dropped.body.metadata.labels, undefined);
    assert.deepEqual(dropped.body.metadata.managedFields.map((m: V1ManagedFieldsEntry) => m.manager), ['bob']);

    const put = await t.request('PUT', `${CM}/sa1`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sa1' }, data: { z: 'put', q: '1' } }, headers: { 'user-agent': 'golden-recorder/1.0' } });
    assert.deepEqual(put.body.metadata.managedFields.map((m: V1ManagedFieldsEntry) => [m.manager, m.operation, m.fieldsV1]), [['golden-recorder', 'Update', { 'f:data': { 'f:q': {}, 'f:z': {} } }]]);
    const updateConflict = await t.request('PATCH', `${CM}/sa1?fieldManager=bob`, { body: bob, contentType: APPLY });
    assert.equal(updateConflict.body.message, 'Apply failed with 1 conflict: conflict with "golden-recorder" using v1: .data.z');
    const noVersion = await t.request('PATCH', `${CM}/sa1?fieldManager=carol`, { body: 'kind: ConfigMap\nmetadata:\n  name: sa1\n', contentType: APPLY });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body.message, 'invalid object type: /, Kind=ConfigMap');
  });

  it('merges keyed lists (containers by name, ports by containerPort/protocol) between managers', async () => {
    const sts = (containers: unknown[]): string => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kv' },
      spec: { serviceName: 'kv', selector: { matchLabels: { app: 'kv' } }, template: { metadata: { labels: { app: 'kv' } }, spec: { containers } } },
    });
    const first = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv?fieldManager=reconciler', { body: sts([{ name: 'redis', image: 'redis:7.4', ports: [{ containerPort: 6379, name: 'redis' }] }]), contentType: APPLY });
    assert.equal(first.status, 201);
    assert.equal(first.body.spec.podManagementPolicy, 'OrderedReady');
    const second = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv?fieldManager=sidecar', { body: sts([{ name: 'exporter', image: 'oliver006/redis_exporter:v1.67.0' }]), contentType: APPLY });
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.spec.template.spec.containers.map((c: V1Container) => c.name), ['redis', 'exporter']);
    const reconciler = second.body.metadata.managedFields.find((m: V1ManagedFieldsEntry) => m.manager === 'reconciler');
    const containers = reconciler.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'];
    assert.ok(containers['k:{"name":"redis"}']['f:ports']['k:{"containerPort":6379,"protocol":"TCP"}']);
    const removed = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv?fieldManager=sidecar', { body: sts([]), contentType: APPLY });
    assert.deepEqual(removed.body.spec.template.spec.containers.map((c: V1Container) => c.name), ['redis']);
  });

  it('applies to the status subresource with conditions keyed by type', async () => {
    const status = (conditions: unknown[]): string => JSON.stringify({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kv' }, status: { replicas: 1, conditions } });
    const a = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv/status?fieldManager=ctl', { body: status([{ type: 'A', status: 'True' }]), contentType: APPLY });
    assert.equal(a.status, 200);
    const b = await t.request('PATCH', '/apis/apps/v1/namespaces/default/statefulsets/kv/status?fieldManager=other', { body: status([{ type: 'B', status: 'False' }]), contentType: APPLY });
    assert.deepEqual(b.body.status.conditions.map((c: V1Condition) => c.type), ['A', 'B']);
    assert.equal(b.body.metadata.managedFields.find((m: V1ManagedFieldsEntry) => m.manager === 'ctl').subresource, 'status');
  });

  it('upgrades a client-side-applied object to server-side apply without conflicts and rewrites last-applied', async () => {
    const lastApplied = '{"apiVersion":"v1","data":{"a":"10","c":"3"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"app":"kc"},"name":"kr-cm","namespace":"default"}}\n';
    const created = await t.request('POST', `${CM}?fieldManager=kubectl-client-side-apply`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kr-cm', labels: { app: 'kc' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } }, data: { a: '10', c: '3' } } });
    assert.equal(created.status, 201);
    const applied = '{"apiVersion":"v1","data":{"a":"99"},"kind":"ConfigMap","metadata":{"labels":{"app":"kc"},"name":"kr-cm","namespace":"default"}}';
    const res = await t.request('PATCH', `${CM}/kr-cm?fieldManager=kubectl&fieldValidation=Strict&force=false`, { body: applied, contentType: APPLY });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { a: '99', c: '3' });
    assert.equal(res.body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], `${applied}\n`);
    const owners = Object.fromEntries(res.body.metadata.managedFields.map((m: V1ManagedFieldsEntry) => [m.manager, m.fieldsV1]));
    assert.deepEqual(owners.kubectl, { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    assert.deepEqual(owners['kubectl-client-side-apply']['f:data'], { '.': {}, 'f:c': {} });
  });
});
