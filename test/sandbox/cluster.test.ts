// The composition: the node side attached alone to an API server, and the holdPodsPending switch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CoordinationV1Api, CoreV1Api, KubeConfig, StorageV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startApiServer } from '../../sandbox/apiserver/server.js';
import { startKubeletOnly, startSandbox } from '../../sandbox/cluster.js';
import { containerPid, isReady, processGone, redisCli, redisContainer, waitFor } from './helpers.js';

const logger = pino({ level: 'silent' });

test('startKubeletOnly attaches the node side to an existing API server: Nodes a scheduler can use, the default StorageClass, bound pods run; it schedules nothing; stop() kills its pods', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-kubelet-only-'));
  const api = await startApiServer({ dir: join(dir, 'api'), logger });
  t.after(async () => { await api.stop(); rmSync(dir, { recursive: true, force: true }); });
  const kubelet = await startKubeletOnly({ kubeconfigPath: api.kubeconfigPath, dir: join(dir, 'kubelet'), logger });
  let stopped = false;
  t.after(async () => { if (!stopped) await kubelet.stop(); });
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = await core.listNode();
  assert.deepEqual(nodes.items.map((n) => n.metadata?.name).sort(), ['sandbox-node-1', 'sandbox-node-2', 'sandbox-node-3']);
  for (const node of nodes.items) {
    const conditions = Object.fromEntries((node.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(conditions, { MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', Ready: 'True' });
    assert.ok(node.status?.conditions?.every((c) => c.lastHeartbeatTime && c.lastTransitionTime));
    assert.deepEqual(Object.keys(node.status?.allocatable ?? {}).sort(), ['cpu', 'ephemeral-storage', 'memory', 'pods']);
    assert.match(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', /^127\./);
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], node.metadata?.name);
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.ok(node.metadata?.labels?.['kubernetes.io/arch']);
    assert.equal(node.spec?.taints, undefined);
    assert.ok(node.status?.nodeInfo?.kubeletVersion);
  }
  const leases = await kc.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: 'kube-node-lease' });
  assert.deepEqual(leases.items.map((l) => l.spec?.holderIdentity).sort(), ['sandbox-node-1', 'sandbox-node-2', 'sandbox-node-3']);
  assert.ok(leases.items.every((l) => l.spec?.renewTime), 'node heartbeats are renewed');
  const storageClass = await kc.makeApiClient(StorageV1Api).readStorageClass({ name: 'sandbox-hostpath' });
  assert.equal(storageClass.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  assert.equal(storageClass.volumeBindingMode, 'WaitForFirstConsumer');
  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'unbound' }, spec: { containers: [redisContainer] } } });
  // Bound as a scheduler would bind it. No token volume: this bare API server has no controllers to create the
  // namespace's `default` ServiceAccount and kube-root-ca.crt, which the kubelet would project (as a real one would).
  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'solo' }, spec: { nodeName: 'sandbox-node-2', automountServiceAccountToken: false, containers: [redisContainer] } } });
  const pod = await waitFor('Ready', async () => { const p = await core.readNamespacedPod({ name: 'solo', namespace: 'default' }); return isReady(p) && p; });
  const ip = pod.status!.podIP!;
  assert.equal((await redisCli(ip, ['ping'])).out, 'PONG');
  const unbound = await core.readNamespacedPod({ name: 'unbound', namespace: 'default' });
  assert.equal(unbound.spec?.nodeName, undefined, 'the node side schedules nothing');
  assert.equal(unbound.status?.podIP, undefined);
  await kubelet.stop();
  stopped = true;
  assert.ok(processGone(containerPid(pod)));
});

test('holdPodsPending leaves pods unscheduled and without processes; strict reaches the API server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-hold-'));
  const sandbox = await startSandbox({ dir, logger, holdPodsPending: true, strict: true });
  t.after(async () => { await sandbox.stop(); rmSync(dir, { recursive: true, force: true }); });
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'held' }, spec: { containers: [redisContainer] } } });
  // A Service's endpoints are computed from the pods the controllers see: once they exist, the pod was seen too.
  const service = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'held' }, spec: { selector: { app: 'none' }, ports: [{ port: 6379 }] } } });
  assert.match(service.spec?.clusterIP ?? '', /^127\.96\./, 'a strict API server allocates from 127.96.0.0/16');
  await waitFor('controllers caught up', async () => (await core.listNamespacedEndpoints({ namespace: 'default' })).items.some((e) => e.metadata?.name === 'held'));
  const pod = await core.readNamespacedPod({ name: 'held', namespace: 'default' });
  assert.equal(pod.spec?.nodeName, undefined);
  assert.equal(pod.status?.phase, 'Pending');
  assert.equal(pod.status?.podIP, undefined);
});
