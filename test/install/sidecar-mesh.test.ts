/**
 * Stores in a sidecar-injected namespace, as in an Istio mesh: the operator installed with `kubectl apply -k` runs
 * as pods, and a mutating webhook (test/install/mesh-injector.ts) adds an init container and a proxy container to
 * every pod created in the `default` namespace (labelled istio-injection=enabled). The proxy goes first in the pod's
 * containers with a postStart hook that holds the engine until the proxy is ready (holdApplicationUntilProxyStarts,
 * set through the KVStore's podMetadata with the port exclusions the README documents). The store becomes Ready,
 * roles come from the engines, a restart of a proxy is no engine death, a killed engine beside a live proxy is, and
 * its failover keeps every acknowledged write; a deleted pod comes back injected. One cluster, in order.
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { paths } from '../../kube/paths.js';
import { getStore, listStorePods, redisCommand, storePassword, waitStoreReady } from '../../harness/sandbox-cluster.js';
import { waitFor } from '../../harness/wait-for.js';
import { Writer } from '../../harness/writer.js';
import {
  DEFAULT_OVERLAY, KUBECTL_MISSING, OPERATOR_NAMESPACE, startInstallCluster, waitForAcknowledged, type InstallCluster,
} from './install-helpers.js';
import {
  EXCLUDE_INBOUND_PORTS, EXCLUDE_OUTBOUND_PORTS, INJECTION_LABEL, PROXY_CONFIG, PROXY_READY_AFTER_MS, injectorWebhookConfiguration, startMeshInjector,
  type MeshInjector,
} from './mesh-injector.js';

interface ContainerStatus { name: string; ready: boolean; restartCount: number; state?: { running?: { startedAt?: string }; terminated?: { exitCode: number } } }
interface MeshPod {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { containers: Array<{ name: string }>; initContainers?: Array<{ name: string; args?: string[] }> };
  status?: { podIP?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

const STORE = 'meshed';
const MESH_ANNOTATIONS = {
  // The engine's port stays out of the proxy both ways: the operator and the replicas dial the engines directly.
  [EXCLUDE_INBOUND_PORTS]: '6379',
  [EXCLUDE_OUTBOUND_PORTS]: '6379',
  [PROXY_CONFIG]: '{ "holdApplicationUntilProxyStarts": true }',
};

async function storePods(cluster: InstallCluster): Promise<MeshPod[]> {
  const list = await cluster.client.list<MeshPod>(paths.core('pods', 'default'), `app.kubernetes.io/instance=${STORE}`);
  return list.items.filter((pod) => !pod.metadata.deletionTimestamp);
}

function containerStatus(pod: MeshPod, name: string): ContainerStatus {
  const status = pod.status?.containerStatuses?.find((container) => container.name === name);
  assert.ok(status, `${pod.metadata.name}: a status for container ${name}`);
  return status;
}

/** pilot-agent's POST /quitquitquit: the proxy exits, and the kubelet restarts it. */
function quitProxy(ip: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 15020, method: 'POST', path: '/quitquitquit', timeout: 3000 }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end();
  });
}

describe('stores in a sidecar-injected (Istio-like) namespace, with the operator as pods', { skip: KUBECTL_MISSING, timeout: 300_000 }, () => {
  let cluster: InstallCluster;
  let injector: MeshInjector;
  let password = '';
  before(async () => {
    cluster = await startInstallCluster('redwing-mesh-');
    injector = await startMeshInjector();
    await cluster.kubectl(['apply', '-k', DEFAULT_OVERLAY]);
    await cluster.kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deploy/redwing-webhook', 'deploy/redwing-reconciler', '--timeout=120s']);
    await cluster.client.create('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', injectorWebhookConfiguration(injector));
    await cluster.kubectl(['label', 'namespace', 'default', `${INJECTION_LABEL}=enabled`]);
  });
  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await injector?.stop();
    }
  });

  it('makes a store Ready whose pods carry the injected init container and proxy (first), with the podMetadata annotations', async () => {
    await cluster.client.create(paths.kvstores('default'), {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: STORE },
      spec: { replicas: 3, persistence: { enabled: false }, podMetadata: { annotations: MESH_ANNOTATIONS } },
    });
    await waitStoreReady(cluster.client, STORE, 3, { timeoutMs: 90_000, allPodsReady: true });
    const pods = await storePods(cluster);
    assert.equal(pods.length, 3);
    assert.ok(injector.injected() >= 3, 'every store pod went through the injector (a retried create may go twice)');
    password = await storePassword(cluster.client, STORE);
    const store = await getStore(cluster.client, STORE);
    for (const pod of pods) {
      assert.deepEqual(pod.spec.containers.map((container) => container.name), ['istio-proxy', 'engine'], 'the proxy first, as holdApplicationUntilProxyStarts puts it');
      const init = pod.spec.initContainers?.find((container) => container.name === 'istio-init');
      assert.ok(init, `${pod.metadata.name}: istio-init`);
      const flag = (name: string) => init.args?.[init.args.indexOf(name) + 1];
      assert.equal(flag('-d'), '15090,15021,15020,6379', 'the engine port is excluded from the inbound redirect');
      assert.equal(flag('-o'), '6379', 'and from the outbound one');
      assert.equal(pod.status?.initContainerStatuses?.find((s) => s.name === 'istio-init')?.state?.terminated?.exitCode, 0);
      const proxy = containerStatus(pod, 'istio-proxy');
      const engine = containerStatus(pod, 'engine');
      assert.ok(proxy.ready && engine.ready);
      // holdApplicationUntilProxyStarts: the engine started only once the proxy's postStart saw it ready (the
      // stand-in takes PROXY_READY_AFTER_MS; the start times have second precision).
      if (proxy.restartCount === 0 && engine.restartCount === 0) {
        const held = Date.parse(String(engine.state?.running?.startedAt)) - Date.parse(String(proxy.state?.running?.startedAt));
        assert.ok(held >= PROXY_READY_AFTER_MS - 1000, `${pod.metadata.name}: the engine started ${held} ms after the proxy`);
      }
      // The role the operator reports is the engine's own, read from the engine container's port.
      const info = String(await redisCommand(pod.status!.podIP!, password, 'INFO', 'replication'));
      const engineRole = /role:(\w+)/.exec(info)?.[1] === 'master' ? 'master' : 'replica';
      assert.equal(pod.metadata.labels?.['redwing.dev/role'], engineRole, pod.metadata.name);
      assert.equal(store.status?.pods?.find((p) => p.name === pod.metadata.name)?.role, engineRole);
    }
  });

  it('takes a restart of the master\'s proxy for no engine death: the master keeps its role', async () => {
    const before = (await storePods(cluster)).find((pod) => pod.metadata.labels?.['redwing.dev/role'] === 'master')!;
    const proxyRestarts = containerStatus(before, 'istio-proxy').restartCount;
    const engineRestarts = containerStatus(before, 'engine').restartCount;
    await quitProxy(before.status!.podIP!);
    const restarted = await waitFor('the proxy restarted and ready', async () => {
      const pod = (await storePods(cluster)).find((p) => p.metadata.uid === before.metadata.uid);
      const proxy = pod?.status?.containerStatuses?.find((s) => s.name === 'istio-proxy');
      return pod && proxy && proxy.restartCount > proxyRestarts && proxy.ready ? pod : undefined;
    }, 30_000);
    assert.equal(containerStatus(restarted, 'engine').restartCount, engineRestarts, 'the engine kept running');
    const pods = await waitStoreReady(cluster.client, STORE, 3, { timeoutMs: 30_000, allPodsReady: true });
    assert.equal(pods.find((pod) => pod.role === 'master')?.name, before.metadata.name, 'no failover for a proxy restart');
    assert.equal((await getStore(cluster.client, STORE)).status?.master, before.metadata.name);
  });

  it('fails over when the master\'s engine alone is killed (its proxy, listed first, keeps running), keeping every acknowledged write', async () => {
    const oldMaster = (await storePods(cluster)).find((pod) => pod.metadata.labels?.['redwing.dev/role'] === 'master')!;
    const proxyBefore = containerStatus(oldMaster, 'istio-proxy');
    const enginePid = Number(/^sandbox:\/\/(\d+)$/.exec(String((containerStatus(oldMaster, 'engine') as { containerID?: string }).containerID))?.[1]);
    assert.ok(enginePid > 0, 'the engine container\'s process');
    const service = await cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE));
    const writer = new Writer({ host: service.spec.clusterIP, port: 6379, password, prefix: 'mesh-', retryForMs: 10_000, waitReplicas: 1, waitTimeoutMs: 1000 });
    try {
      await waitForAcknowledged('writes before the failover', writer, 20, 45_000);
      process.kill(enginePid, 'SIGKILL');
      const newMaster = await waitFor('another pod master', async () => {
        const store = await getStore(cluster.client, STORE);
        const now = (await listStorePods(cluster.client, STORE)).find((pod) => pod.role === 'master' && pod.ready);
        return now && now.name !== oldMaster.metadata.name && store.status?.master === now.name ? now : undefined;
      }, 30_000);
      const acknowledgedAtFailover = writer.report.acknowledged.length;
      await waitForAcknowledged('writes after the failover', writer, acknowledgedAtFailover + 20, 45_000);
      const report = await writer.stop();
      const lost: string[] = [];
      for (const key of report.acknowledged) if ((await redisCommand(newMaster.ip!, password, 'GET', key)) === null) lost.push(key);
      assert.deepEqual(lost, [], 'no acknowledged write lost');
    } finally {
      await writer.stop();
    }
    await waitStoreReady(cluster.client, STORE, 3, { timeoutMs: 60_000, allPodsReady: true });
    const restarted = (await storePods(cluster)).find((pod) => pod.metadata.uid === oldMaster.metadata.uid)!;
    assert.equal(restarted.metadata.labels?.['redwing.dev/role'], 'replica', 'the old master came back as a replica');
    assert.equal(containerStatus(restarted, 'istio-proxy').restartCount, proxyBefore.restartCount, 'its proxy was never touched');
  });

  it('re-injects a deleted pod when its StatefulSet recreates it, and the store is whole again', async () => {
    const replica = (await listStorePods(cluster.client, STORE)).find((pod) => pod.role === 'replica')!;
    const injectedBefore = injector.injected();
    await cluster.kubectl(['delete', 'pod', replica.name, '--wait=false']);
    await waitFor('the pod recreated', async () => (await storePods(cluster)).some((pod) => pod.metadata.name === replica.name && pod.metadata.uid !== replica.uid), 30_000);
    const pods = await waitStoreReady(cluster.client, STORE, 3, { timeoutMs: 60_000, allPodsReady: true });
    assert.ok(injector.injected() > injectedBefore, 'the recreated pod went through the injector');
    const recreated = (await storePods(cluster)).find((pod) => pod.metadata.name === replica.name)!;
    assert.deepEqual(recreated.spec.containers.map((container) => container.name), ['istio-proxy', 'engine']);
    assert.equal(pods.filter((pod) => pod.role === 'master').length, 1);
    assert.equal(await redisCommand(recreated.status!.podIP!, password, 'GET', 'mesh-:0'), '0', 'it has the data');
  });
});
