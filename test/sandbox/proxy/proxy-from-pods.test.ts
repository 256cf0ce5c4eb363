// The service proxy on a strict API server, where no Endpoints with loopback addresses can exist (and no endpoints
// controller runs here at all): it routes a Service's ClusterIP (from 127.96.0.0/16) straight from the ready pods its
// selector matches, follows a relabel (closing the old connections), and resets connections when no pod is ready.
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ServiceProxy } from '../../../sandbox/proxy/service-proxy.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { waitFor } from '../../../harness/wait-for.js';

const ns = 'default';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * A backend that greets every connection with its name and keeps it open (so only the proxy can close a held one);
 * the addresses are unusual loopback ones, the ports random.
 */
const backendSockets = new Set<Socket>();
async function greeter(name: string, host: string): Promise<Server> {
  const server = createServer((socket) => {
    backendSockets.add(socket);
    socket.on('error', () => undefined).on('close', () => backendSockets.delete(socket));
    socket.write(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

/** The greeting a new connection to host:port receives, or 'reset' / 'refused' / 'closed'. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.on('data', (chunk) => {
      resolve(String(chunk).trim());
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNRESET' ? 'reset' : 'refused'));
    socket.on('close', () => resolve('closed'));
  });
}

describe('service proxy routes from pods, without Endpoints', () => {
  let proxy: ServiceProxy | undefined;
  const backends: Server[] = [];
  after(async () => {
    await proxy?.stop();
    for (const server of backends) server.close();
    for (const socket of backendSockets) socket.destroy();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-proxy-pods-', strict: true });
  let core: CoreV1Api;

  async function runningPod(name: string, role: string, server: Server): Promise<void> {
    const address = server.address() as AddressInfo;
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name, labels: { app: 'greet', role } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'redis:7.4', ports: [{ name: 'greet', containerPort: address.port }] }] } },
    });
    await setReady(name, address.address, true);
  }

  async function setReady(name: string, podIP: string, ready: boolean): Promise<void> {
    await core.patchNamespacedPodStatus({
      name, namespace: ns,
      body: { status: { phase: 'Running', podIP, podIPs: [{ ip: podIP }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
    }, mergePatch);
  }

  before(async () => {
    core = api.kubeConfig.makeApiClient(CoreV1Api);
    proxy = new ServiceProxy({ kc: api.kubeConfig, logger: pino({ level: 'silent' }) });
    await proxy.start();
    backends.push(await greeter('a', '127.0.0.251'), await greeter('b', '127.0.0.252'));
  });

  it('reaches the selected ready pod, follows a relabel and closes the old connections, resets with no ready pod', async () => {
    await runningPod('pod-a', 'master', backends[0]!);
    await runningPod('pod-b', 'replica', backends[1]!);
    const svc = await core.createNamespacedService({
      namespace: ns, body: { metadata: { name: 'greet' }, spec: { selector: { app: 'greet', role: 'master' }, ports: [{ port: 7000, targetPort: 'greet' }] } },
    });
    const clusterIP = svc.spec!.clusterIP!;
    assert.match(clusterIP, /^127\.96\./);
    await waitFor('the Service reaches pod-a', async () => (await greeting(clusterIP, 7000)) === 'a');
    assert.equal((await core.listNamespacedEndpoints({ namespace: ns })).items.length, 0, 'no Endpoints were needed');

    // A held connection to pod-a is closed once pod-a stops being selected.
    const held: Socket = connect({ host: clusterIP, port: 7000 });
    held.on('error', () => undefined);
    const greeted = new Promise<string>((resolve) => held.once('data', (chunk) => resolve(String(chunk).trim())));
    const closed = new Promise<void>((resolve) => held.on('close', () => resolve()));
    assert.equal(await greeted, 'a');
    await core.patchNamespacedPod({ name: 'pod-a', namespace: ns, body: { metadata: { labels: { role: 'replica' } } } }, mergePatch);
    await core.patchNamespacedPod({ name: 'pod-b', namespace: ns, body: { metadata: { labels: { role: 'master' } } } }, mergePatch);
    await closed;
    await waitFor('the Service reaches pod-b', async () => (await greeting(clusterIP, 7000)) === 'b');

    await setReady('pod-b', '127.0.0.252', false);
    await waitFor('no ready pod: connections are reset', async () => (await greeting(clusterIP, 7000)) === 'reset');
  });
});
