/**
 * The sandbox API server with `persist`: every object comes back after a restart (same uid), custom resources are
 * served again, Services keep their ClusterIPs, pods come back not ready (their node rebooted), Events are dropped.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../kube/client.js';
import { loadClusterAccess } from '../../../kube/cluster-access.js';
import { paths } from '../../../kube/paths.js';
import { waitFor } from '../../../harness/wait-for.js';
import { startApiServer } from '../../../sandbox/apiserver/server.js';
import { loadState, podAfterRestart, STATE_FILE } from '../../../sandbox/apiserver/persistence.js';

const CRD = JSON.parse(readFileSync(new URL('../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8')) as { metadata: { name: string } };

interface Obj { metadata: { uid?: string; name?: string }; spec?: { clusterIP?: string }; status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } }

async function clientFor(dir: string): Promise<KubeClient> {
  return new KubeClient(await loadClusterAccess(join(dir, 'kubeconfig')));
}

describe('sandbox API server: persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-persist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('restores objects, custom resources, ClusterIPs and not-ready pods; drops Events', async () => {
    let server = await startApiServer({ dir, persist: true });
    let client = await clientFor(dir);
    await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD);
    await waitFor('the CRD served', async () => (await client.list(paths.kvstores('default')).catch(() => undefined)) !== undefined, 10_000);
    const store = await client.create<Obj>(paths.kvstores('default'), { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'kept' }, spec: {} });
    const service = await client.create<Obj>(paths.core('services', 'default'), { metadata: { name: 'svc' }, spec: { ports: [{ port: 6379 }] } });
    await client.create(paths.core('pods', 'default'), { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'redis' }] } });
    await client.patch(`${paths.coreObject('pods', 'default', 'p')}/status`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 2, image: 'redis', imageID: '', state: { running: {} } }] } });
    await client.create(paths.core('events', 'default'), { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', message: 'm' });
    await server.stop();

    server = await startApiServer({ dir, persist: true });
    client = await clientFor(dir);
    try {
      assert.equal((await client.get<Obj>(paths.kvstore('default', 'kept'))).metadata.uid, store.metadata.uid);
      assert.equal((await client.get<Obj>(paths.coreObject('services', 'default', 'svc'))).spec?.clusterIP, service.spec?.clusterIP);
      const other = await client.create<Obj>(paths.core('services', 'default'), { metadata: { name: 'other' }, spec: { ports: [{ port: 1 }] } });
      assert.notEqual(other.spec?.clusterIP, service.spec?.clusterIP);
      const pod = await client.get<Obj & { status: { containerStatuses: Array<{ ready: boolean; restartCount: number }> } }>(paths.coreObject('pods', 'default', 'p'));
      assert.deepEqual(pod.status.conditions?.map((c) => [c.type, c.status, c.reason]), [['Ready', 'False', 'SandboxRestarted']]);
      assert.equal(pod.status.containerStatuses[0]?.ready, false);
      assert.equal(pod.status.containerStatuses[0]?.restartCount, 2);
      assert.equal(await client.getOptional(paths.coreObject('events', 'default', 'e')), undefined);
      const namespaces = await client.list<Obj>(paths.core('namespaces'));
      assert.equal(namespaces.items.filter((ns) => ns.metadata.name === 'default').length, 1);
    } finally {
      await server.stop();
    }
  });

  it('names the file and --fresh when the saved state cannot be read; finished pods stay as they were', () => {
    const broken = mkdtempSync(join(tmpdir(), 'sandbox-persist-broken-'));
    try {
      writeFileSync(join(broken, STATE_FILE), '{"version":1,"objects":[');
      assert.throws(() => loadState(broken), /apiserver-state\.json is not readable JSON; start with --fresh/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
    const done = { metadata: { name: 'x' }, status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False' }] } };
    assert.equal(podAfterRestart(done), done);
  });
});
