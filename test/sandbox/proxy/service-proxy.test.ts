// Services in the sandbox: a client of the clusterIP follows the endpoints, as in a real cluster.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { isReady, redisCli, redisContainer, startTestSandbox, waitFor, type TestSandbox } from '../helpers.js';

let t: TestSandbox;
before(async () => { t = await startTestSandbox(); });
after(async () => { await t?.stop(); });

const ns = 'default';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function pod(name: string, role: string): V1Pod {
  return { metadata: { name, labels: { app: 'proxied', role } }, spec: { containers: [redisContainer] } };
}

/** Which pod answers through the Service: each pod's redis is bound to its own pod IP. */
async function servedBy(clusterIP: string): Promise<string | undefined> {
  const reply = await redisCli(clusterIP, ['config', 'get', 'bind'], 2000);
  return reply.ok ? reply.out.split('\n')[1] : undefined;
}

function openConnection(host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: 6379 }, () => resolve(socket));
    socket.once('error', reject);
  });
}

test('the clusterIP reaches the selected pod; after a relabel, new connections reach the other pod and old ones are closed', async () => {
  await t.core.createNamespacedPod({ namespace: ns, body: pod('pod-a', 'master') });
  await t.core.createNamespacedPod({ namespace: ns, body: pod('pod-b', 'replica') });
  const svc = await t.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'proxied-master' }, spec: { selector: { app: 'proxied', role: 'master' }, ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] } },
  });
  const clusterIP = svc.spec!.clusterIP!;
  assert.match(clusterIP, /^127\.1\./);
  const [a, b] = await waitFor('both pods Ready', async () => {
    const pa = await t.core.readNamespacedPod({ name: 'pod-a', namespace: ns });
    const pb = await t.core.readNamespacedPod({ name: 'pod-b', namespace: ns });
    return isReady(pa) && isReady(pb) && [pa, pb] as const;
  });
  const ipA = a.status!.podIP!;
  const ipB = b.status!.podIP!;
  await waitFor('service reaches pod-a', async () => (await servedBy(clusterIP)) === ipA);

  const endpoints = await t.core.readNamespacedEndpoints({ name: 'proxied-master', namespace: ns });
  assert.deepEqual(endpoints.subsets?.[0]?.addresses?.map((x) => x.ip), [ipA]);
  assert.equal(endpoints.subsets?.[0]?.ports?.[0]?.port, 6379);
  const slices = await t.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=proxied-master' });
  assert.equal(slices.items.length, 1);
  assert.deepEqual(slices.items[0]!.endpoints.map((e) => e.addresses[0]), [ipA]);

  const held = await openConnection(clusterIP);
  const closed = new Promise<void>((resolve) => held.once('close', () => resolve()));
  held.on('error', () => undefined);

  await t.core.patchNamespacedPod({ name: 'pod-a', namespace: ns, body: { metadata: { labels: { role: 'replica' } } } }, mergePatch);
  await t.core.patchNamespacedPod({ name: 'pod-b', namespace: ns, body: { metadata: { labels: { role: 'master' } } } }, mergePatch);
  await waitFor('service reaches pod-b', async () => (await servedBy(clusterIP)) === ipB);
  await closed;
  assert.ok(held.destroyed);
});

test('a headless Service lists every selected pod in its Endpoints', async () => {
  await t.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'proxied-headless' }, spec: { clusterIP: 'None', selector: { app: 'proxied' }, ports: [{ port: 6379 }] } },
  });
  const addresses = await waitFor('two addresses', async () => {
    const ep = await t.core.readNamespacedEndpoints({ name: 'proxied-headless', namespace: ns });
    const ips = ep.subsets?.flatMap((s) => s.addresses ?? []).map((x) => x.targetRef?.name) ?? [];
    return ips.length === 2 && ips.sort();
  });
  assert.deepEqual(addresses, ['pod-a', 'pod-b']);
});
