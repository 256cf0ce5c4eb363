// The endpoints controller against a strict API server, which refuses loopback addresses as kube-apiserver does:
// like kube-controller-manager's controllers, the write fails, a Warning Event on the Service says why (once), and
// nothing is stored; routable addresses are still written.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startControllers, type RunningControllers } from '../../../sandbox/controllers/index.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { waitFor } from '../../../harness/wait-for.js';

const ns = 'default';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('endpoints controller on a strict API server', () => {
  let controllers: RunningControllers | undefined;
  after(async () => { await controllers?.stop(); });
  const api = useTestApiServer({ dirPrefix: 'redwing-endpoints-strict-', strict: true });
  let core: CoreV1Api;

  before(async () => {
    core = api.kubeConfig.makeApiClient(CoreV1Api);
    controllers = await startControllers({ kc: api.kubeConfig, dir: api.dir, logger: pino({ level: 'silent' }) });
  });

  async function readyPod(name: string, app: string, podIP: string): Promise<void> {
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels: { app } }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'redis:7.4' }] } } });
    await core.patchNamespacedPodStatus({ name, namespace: ns, body: { status: { phase: 'Running', podIP, conditions: [{ type: 'Ready', status: 'True' }] } } }, mergePatch);
  }

  it('a loopback pod IP: no Endpoints or slice address stored, one FailedToUpdateEndpoint Warning with the server\'s message', async () => {
    await readyPod('lo', 'lo', '127.0.0.7');
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'lo' }, spec: { selector: { app: 'lo' }, ports: [{ port: 6379 }] } } });
    const event = await waitFor('the Warning event', async () => (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=lo,involvedObject.kind=Service' }))
      .items.find((e) => e.reason === 'FailedToUpdateEndpoint'));
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, `Failed to update endpoint default/lo: Endpoints "lo" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.7": may not be in the loopback range (127.0.0.0/8, ::1/128)`);
    await waitFor('the slice event too', async () => (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=lo' }))
      .items.some((e) => e.reason === 'FailedToUpdateEndpointSlices'));
    assert.equal((await core.listNamespacedEndpoints({ namespace: ns, fieldSelector: 'metadata.name=lo' })).items.length, 0);
    const warnings = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=lo' })).items.filter((e) => e.reason === 'FailedToUpdateEndpoint');
    assert.equal(warnings.length, 1, 'retries do not repeat the Event');
    assert.equal(warnings[0]?.count ?? 1, 1);
  });

  it('a routable pod IP is written as usual', async () => {
    await readyPod('routable', 'routable', '10.20.30.40');
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'routable' }, spec: { selector: { app: 'routable' }, ports: [{ port: 6379 }] } } });
    const written = await waitFor('Endpoints written', async () => {
      const list = await core.listNamespacedEndpoints({ namespace: ns, fieldSelector: 'metadata.name=routable' });
      return list.items[0]?.subsets?.[0]?.addresses?.[0]?.ip;
    });
    assert.equal(written, '10.20.30.40');
  });
});
