// startApiServer({ strict: true }): where the sandbox normally diverges from kube-apiserver, a strict server does not.
// Plus what both modes now serve like kube-apiserver: PersistentVolumes, StorageClasses and the DefaultStorageClass
// admission plugin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers.js';

const LOOPBACK = 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
const endpoints = (ip: string, notReady = '10.0.0.9') => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: `ep-${ip.replace(/\W/g, '-')}` }, subsets: [{ addresses: [{ ip: '10.0.0.8' }, { ip }], notReadyAddresses: [{ ip: notReady }], ports: [{ port: 6379 }] }] });
const slice = (address: string) => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `s-${address.replace(/\W/g, '-')}` }, addressType: 'IPv4',
  endpoints: [{ addresses: [address], conditions: { ready: true } }], ports: [{ port: 6379 }],
});

describe('strict API server', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer({ strict: true }); });
  after(async () => { await s?.close(); });

  it('refuses loopback Endpoints addresses (ready and not ready) with kube-apiserver\'s 422', async () => {
    const res = await s.request('POST', '/api/v1/namespaces/default/endpoints', { body: endpoints('127.0.0.2', '127.0.0.3') });
    assert.equal(res.status, 422);
    assert.equal(res.body.reason, 'Invalid');
    assert.equal(res.body.message, `Endpoints "ep-127-0-0-2" is invalid: [subsets[0].addresses[1].ip: Invalid value: "127.0.0.2": ${LOOPBACK}, subsets[0].notReadyAddresses[0].ip: Invalid value: "127.0.0.3": ${LOOPBACK}]`);
    assert.deepEqual(res.body.details.causes.map((c: { field: string }) => c.field), ['subsets[0].addresses[1].ip', 'subsets[0].notReadyAddresses[0].ip']);
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/endpoints', { body: endpoints('10.0.0.7') })).status, 201);
  });

  it('refuses loopback EndpointSlice addresses', async () => {
    const res = await s.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { body: slice('127.0.0.4') });
    assert.equal(res.status, 422);
    assert.equal(res.body.message, `EndpointSlice.discovery.k8s.io "s-127-0-0-4" is invalid: endpoints[0].addresses[0]: Invalid value: "127.0.0.4": ${LOOPBACK}`);
    assert.equal((await s.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { body: slice('10.1.2.3') })).status, 201);
  });

  it('allocates ClusterIPs from 127.96.0.0/16 and names that range when a requested one is outside it', async () => {
    const svc = (name: string, clusterIP?: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ...(clusterIP ? { clusterIP } : {}), ports: [{ port: 80 }] } });
    const created = await s.request('POST', '/api/v1/namespaces/default/services', { body: svc('auto') });
    assert.match(created.body.spec.clusterIP, /^127\.96\.\d+\.\d+$/);
    const outside = await s.request('POST', '/api/v1/namespaces/default/services', { body: svc('outside', '127.1.0.9') });
    assert.equal(outside.status, 422);
    assert.match(outside.body.message, /The range of valid IPs is 127\.96\.0\.0\/16/);
  });
});

describe('sandbox API server (default mode): the intended divergence, storage kinds, DefaultStorageClass', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s?.close(); });

  it('accepts loopback endpoint addresses and allocates ClusterIPs from 127.1.0.0/16', async () => {
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/endpoints', { body: endpoints('127.0.0.2') })).status, 201);
    assert.equal((await s.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { body: slice('127.0.0.4') })).status, 201);
    const created = await s.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } } });
    assert.match(created.body.spec.clusterIP, /^127\.1\./);
  });

  it('a claim without a class gets the newest default StorageClass; an explicit "" stays; PV and StorageClass defaults', async () => {
    const storageClass = (name: string, isDefault: boolean) => ({
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', provisioner: 'example.com/p',
      metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    });
    const claim = (name: string, storageClassName?: string) => ({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
    });
    const none = await s.request('POST', '/api/v1/namespaces/default/persistentvolumeclaims', { body: claim('before-any-class') });
    assert.equal(none.body.spec.storageClassName, undefined);
    const plain = await s.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: storageClass('plain', false) });
    assert.equal(plain.status, 201);
    assert.equal(plain.body.reclaimPolicy, 'Delete');
    assert.equal(plain.body.volumeBindingMode, 'Immediate');
    await s.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: storageClass('old-default', true) });
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has a one-second resolution
    await s.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: storageClass('new-default', true) });
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/persistentvolumeclaims', { body: claim('defaulted') })).body.spec.storageClassName, 'new-default');
    assert.equal((await s.request('POST', '/api/v1/namespaces/default/persistentvolumeclaims', { body: claim('no-class', '') })).body.spec.storageClassName, '');
    const pv = await s.request('POST', '/api/v1/persistentvolumes', {
      body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } } },
    });
    assert.equal(pv.status, 201);
    assert.equal(pv.body.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(pv.body.status.phase, 'Pending');
  });
});
