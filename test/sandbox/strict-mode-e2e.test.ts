/**
 * The node side on a control plane that behaves like the real one (issue "Real-API fidelity", part 6): a strict API
 * server (loopback Endpoints refused with kube-apiserver's 422, ClusterIPs from 127.96.0.0/16), the sandbox's
 * controllers as kube-controller-manager, its scheduler as kube-scheduler, and the node side started exactly as
 * `redwing sandbox --kubelet-only` starts it. Redwing's reconciler runs a KVStore on it: the store becomes Ready, a
 * kill -9 of the master promotes a replica without losing an acknowledged write, and the master Service (through the
 * proxy, which routes from the pods since no Endpoints can exist) reaches the new master.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { runReconciler, type RunningReconciler } from '../../reconciler/controller/main.js';
import { KubeClient } from '../../kube/client.js';
import { paths } from '../../kube/paths.js';
import { startApiServer, type RunningApiServer } from '../../sandbox/apiserver/server.js';
import { startKubeletOnly } from '../../sandbox/cluster.js';
import { startControllers, type RunningControllers } from '../../sandbox/controllers/index.js';
import { Scheduler } from '../../sandbox/scheduler/scheduler.js';
import type { Faults } from '../../sandbox/faults/faults.js';
import { identityFromManifests } from '../helpers/manifest-identity.js';
import { sandboxTestLogger } from '../../harness/sandbox-logger.js';
import {
  getStore, installCrds, kvstore, listStorePods, redisCommand, storePassword, waitFor, waitStoreReady,
} from '../reconciler/controller/e2e-helpers.js';

const STORE = 'strict';
const NS = 'default';

interface Item { metadata: { name: string; annotations?: Record<string, string> } }

describe('strict control plane + the --kubelet-only node side: a KVStore fails over', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(process.env.REDWING_E2E_DIR ?? '/var/tmp', 'redwing-strict-e2e-'));
  const logger = sandboxTestLogger();
  let api: RunningApiServer;
  let controllers: RunningControllers | undefined;
  let scheduler: Scheduler | undefined;
  let nodeSide: { stop(): Promise<void>; faults: Faults } | undefined;
  let reconciler: RunningReconciler | undefined;
  let client: KubeClient;

  before(async () => {
    api = await startApiServer({ dir: join(dir, 'control-plane'), strict: true, logger: logger.child({ component: 'apiserver' }) });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.kubeconfigPath);
    controllers = await startControllers({ kc: kubeConfig, dir: join(dir, 'control-plane'), logger: logger.child({ component: 'controllers' }) });
    scheduler = new Scheduler({ kc: kubeConfig, logger: logger.child({ component: 'scheduler' }) });
    await scheduler.start();
    nodeSide = await startKubeletOnly({ kubeconfigPath: api.kubeconfigPath, dir: join(dir, 'node'), logger: logger.child({ component: 'node' }) });
    client = new KubeClient(kubeConfig);
    await installCrds(client);
    // as in a cluster: the reconciler's ServiceAccount with the roles of manifests/rbac/reconciler.yaml
    reconciler = await runReconciler({ kubeConfig: await identityFromManifests(kubeConfig, 'reconciler'), metricsPort: 0, leaderElect: false, logger: pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' }) });
  });

  after(async () => {
    await reconciler?.stop();
    client?.close();
    await nodeSide?.stop();
    scheduler?.stop();
    await controllers?.stop();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the strict server refuses a loopback Endpoints address with kube-apiserver\'s 422', async () => {
    const refused = await client.create(paths.core('endpoints', NS), {
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'loopback' }, subsets: [{ addresses: [{ ip: '127.0.0.5' }], ports: [{ port: 6379 }] }],
    }).then(() => undefined, (error: unknown) => error);
    assert.ok(refused, 'the create was refused');
    assert.match(String(refused), /subsets\[0\]\.addresses\[0\]\.ip: Invalid value: "127\.0\.0\.5": may not be in the loopback range \(127\.0\.0\.0\/8, ::1\/128\)/);
  });

  it('a minimal KVStore becomes Ready: pods scheduled by the scheduler, claims provisioned on their nodes, ClusterIP in 127.96/16', async () => {
    await client.create(paths.kvstores(NS), kvstore(STORE, { replicas: 3, failover: { downAfterMilliseconds: 1000 } }));
    const pods = await waitStoreReady(client, STORE, 3, { allPodsReady: true });
    const service = await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', NS, STORE));
    assert.match(service.spec.clusterIP, /^127\.96\.\d+\.\d+$/);
    for (const pod of pods) {
      const object = await client.get<{ spec: { nodeName?: string; volumes?: Array<{ persistentVolumeClaim?: { claimName: string } }> } }>(paths.coreObject('pods', NS, pod.name));
      const claimName = object.spec.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName;
      assert.ok(claimName, `${pod.name} has a claim`);
      const claim = await client.get<Item & { spec: { volumeName?: string }; status: { phase: string } }>(paths.coreObject('persistentvolumeclaims', NS, claimName));
      assert.equal(claim.status.phase, 'Bound');
      assert.equal(claim.metadata.annotations?.['volume.kubernetes.io/selected-node'], object.spec.nodeName, 'the scheduler chose the claim\'s node');
      const volume = await client.get<Item & { spec: { local?: { path: string }; nodeAffinity?: { required?: { nodeSelectorTerms: Array<{ matchExpressions: Array<{ values: string[] }> }> } } } }>(
        `/api/v1/persistentvolumes/${claim.spec.volumeName}`,
      );
      assert.equal(volume.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'sandbox.redwing.dev/hostpath');
      assert.deepEqual(volume.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions[0]?.values, [object.spec.nodeName]);
      assert.ok(volume.spec.local?.path.startsWith(join(dir, 'node')), 'the data lives in the node side\'s directory');
    }
    const slices = await client.list<{ endpoints?: Array<{ addresses: string[] }> | null }>('/apis/discovery.k8s.io/v1/endpointslices');
    assert.ok(slices.items.every((slice) => (slice.endpoints ?? []).every((ep) => ep.addresses.every((a) => !a.startsWith('127.')))), 'no loopback address was stored');
    const events = await client.list<{ reason: string; involvedObject: { kind: string } }>(paths.core('events', NS));
    assert.ok(events.items.some((e) => e.reason === 'FailedToUpdateEndpoint' && e.involvedObject.kind === 'Service'), 'the endpoints controller reports the refusal as kube-controller-manager does');
  });

  it('kill -9 of the master promotes a replica; acknowledged writes survive; the master Service reaches the new master', async () => {
    const password = await storePassword(client, STORE);
    const serviceIp = (await client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', NS, STORE))).spec.clusterIP;
    const pods = await listStorePods(client, STORE);
    const master = pods.find((pod) => pod.role === 'master')!;
    await waitFor('the master Service reaches the master', async () => (await redisCommand(serviceIp, password, 'CONFIG', 'GET', 'bind').catch(() => []) as string[])[1] === master.ip, 30_000, 100);
    const keys = ['a', 'b', 'c'].map((k) => `strict-${k}`);
    for (const key of keys) assert.equal(await redisCommand(serviceIp, password, 'SET', key, key), 'OK');
    for (const replica of pods.filter((pod) => pod.role === 'replica')) {
      for (const key of keys) await waitFor(`${key} on ${replica.name}`, async () => (await redisCommand(replica.ip!, password, 'GET', key)) === key, 10_000, 50);
    }

    await nodeSide!.faults.crashPod(NS, master.name);

    const store = await waitFor('a new master recorded', async () => {
      const current = await getStore(client, STORE);
      return current.status?.master && current.status.master !== master.name ? current : undefined;
    }, 60_000, 100);
    assert.equal(store.status!.lastFailover?.from, master.name);
    const newMaster = (await listStorePods(client, STORE)).find((pod) => pod.name === store.status!.master)!;
    await waitFor('the master Service reaches the new master', async () => {
      const bind = await redisCommand(serviceIp, password, 'CONFIG', 'GET', 'bind').catch(() => []) as string[];
      return bind[1] === newMaster.ip && (await redisCommand(serviceIp, password, 'SET', 'after', '1')) === 'OK';
    }, 30_000, 100);
    for (const key of keys) assert.equal(await redisCommand(serviceIp, password, 'GET', key), key, `${key} survived`);
  });
});
