/**
 * The install, proved with the operator itself running as pods: `kubectl apply -k deploy/kustomize/default` on a
 * fresh sandbox, whose kubelet runs the operator image (ghcr.io/redwing-dev/redwing:*) from an image folder assembled
 * as the Dockerfile's final stage, with each pod's own ServiceAccount token, in-cluster configuration and the RBAC of
 * the manifests (any refusal fails the file). Then a KVStore through the webhook pods, a failover, an upgrade of the
 * operator's image under load, the documented uninstall, and a re-install that adopts the store. One cluster, in order.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { paths } from '../../kube/paths.js';
import { getStore, listStorePods, redisCommand, storePassword, waitStoreReady } from '../../harness/sandbox-cluster.js';
import { waitFor } from '../../harness/wait-for.js';
import { Writer, type WriterReport } from '../../harness/writer.js';
import {
  DEFAULT_OVERLAY, KUBECTL_MISSING, OPERATOR_NAMESPACE, projectedTokenClaims, runKubectl, startInstallCluster, waitForAcknowledged,
  type InstallCluster,
} from './install-helpers.js';

interface PodObject {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { serviceAccountName?: string; containers: Array<{ image: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const GOOD_STORE = `apiVersion: redwing.dev/v1alpha1
kind: KVStore
metadata: { name: cache, namespace: default }
spec:
  replicas: 3
  persistence: { enabled: false }
`;
const BAD_STORE = `apiVersion: redwing.dev/v1alpha1
kind: KVStore
metadata: { name: bad, namespace: default }
spec:
  config: { requirepass: hunter2 }
`;

function isReady(pod: PodObject): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The keys of `report` that the store does not return (read from `host`). */
async function lostWrites(host: string, password: string, report: WriterReport): Promise<string[]> {
  const lost: string[] = [];
  for (const key of report.acknowledged) {
    if ((await redisCommand(host, password, 'GET', key)) === null) lost.push(key);
  }
  return lost;
}

async function masterServiceIp(cluster: InstallCluster): Promise<string> {
  const service = await cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', 'cache'));
  return service.spec.clusterIP;
}

describe('kubectl apply -k deploy/kustomize/default: the operator as pods', { skip: KUBECTL_MISSING, timeout: 420_000 }, () => {
  let cluster: InstallCluster;
  let password = '';
  before(async () => { cluster = await startInstallCluster('redwing-install-'); });
  after(async () => { await cluster?.stop(); });

  const operatorPods = async (component: string) =>
    (await cluster.client.list<PodObject>(paths.core('pods', OPERATOR_NAMESPACE), `app.kubernetes.io/component=${component}`)).items
      .filter((pod) => !pod.metadata.deletionTimestamp);

  it('runs the webhook and the reconciler as Ready pods under their own ServiceAccounts, and the webhook injects its caBundle', async () => {
    await cluster.kubectl(['apply', '-k', DEFAULT_OVERLAY]);
    await cluster.kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deploy/redwing-webhook', 'deploy/redwing-reconciler', '--timeout=120s']);
    for (const component of ['webhook', 'reconciler']) {
      const pods = await operatorPods(component);
      assert.equal(pods.length, 2, component);
      for (const pod of pods) {
        assert.ok(isReady(pod), `${pod.metadata.name} Ready (its readiness probe passes)`);
        assert.equal(pod.spec.containers[0]!.image, 'ghcr.io/redwing-dev/redwing:0.1.0');
        const claims = projectedTokenClaims(cluster.dir, OPERATOR_NAMESPACE, pod.metadata.name);
        assert.equal(claims.sub, `system:serviceaccount:${OPERATOR_NAMESPACE}:redwing-${component}`);
        assert.equal(claims['kubernetes.io'].pod?.name, pod.metadata.name, 'the token is bound to its pod');
      }
    }
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const config = await waitFor(`${kind} caBundle`, async () => {
        const stored = await cluster.client.get<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>(`/apis/admissionregistration.k8s.io/v1/${kind}/redwing-webhook`);
        return stored.webhooks.every((webhook) => webhook.clientConfig.caBundle) ? stored : undefined;
      }, 30_000);
      for (const webhook of config.webhooks) assert.match(Buffer.from(webhook.clientConfig.caBundle!, 'base64').toString('utf8'), /BEGIN CERTIFICATE/);
    }
  });

  it('defaults a KVStore applied with kubectl through the webhook pods and refuses a bad one with the webhook\'s message', async () => {
    // kubectl prints a 422's causes ("The request is invalid: <field>: <message>"); the Status the API server
    // returns names the webhook that denied it.
    await assert.rejects(cluster.kubectl(['apply', '-f', '-'], BAD_STORE), /spec\.config\.requirepass: is set by the operator/);
    await assert.rejects(cluster.client.create(paths.kvstores('default'), YAML.parse(BAD_STORE) as object),
      /admission webhook "validate\.kvstore\.redwing\.dev" denied the request[\s\S]*is set by the operator/);
    await cluster.kubectl(['apply', '-f', '-'], GOOD_STORE);
    const store = await getStore(cluster.client, 'cache');
    assert.equal(store.spec?.engine, 'redis', 'defaulted by the mutating webhook');
    assert.equal(store.spec?.authentication?.passwordFromSecret?.name, 'cache-auth');
  });

  it('makes the store Ready and fails over when its master pod is deleted, with every acknowledged write readable', async () => {
    const pods = await waitStoreReady(cluster.client, 'cache', 3, { timeoutMs: 90_000 });
    const oldMaster = pods.find((pod) => pod.role === 'master')!;
    password = await storePassword(cluster.client, 'cache');
    const writer = new Writer({ host: await masterServiceIp(cluster), port: 6379, password, prefix: 'failover-', retryForMs: 10_000, waitReplicas: 1, waitTimeoutMs: 1000 });
    await waitForAcknowledged('writes before the failover', writer, 20, 45_000);
    await cluster.kubectl(['delete', 'pod', oldMaster.name, '--wait=false']);
    const newMaster = await waitFor('another pod labelled master', async () => {
      const store = await getStore(cluster.client, 'cache');
      const now = (await listStorePods(cluster.client, 'cache')).find((pod) => pod.role === 'master' && pod.ready);
      return now && now.uid !== oldMaster.uid && store.status?.master === now.name ? now : undefined;
    }, 60_000);
    const acknowledgedAtFailover = writer.report.acknowledged.length;
    await waitForAcknowledged('writes after the failover', writer, acknowledgedAtFailover + 20, 45_000);
    const report = await writer.stop();
    assert.deepEqual(await lostWrites(newMaster.ip!, password, report), [], 'no acknowledged write lost');
    await waitStoreReady(cluster.client, 'cache', 3, { timeoutMs: 90_000 });
  });

  it('rolls a new operator image with no failed admission and no lost acknowledged write', async () => {
    // A user's overlay on top of the default one, naming the new tag (the sandbox maps any tag to this checkout).
    const overlay = join(cluster.dir, 'upgrade-overlay');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(join(overlay, 'kustomization.yaml'), YAML.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
      resources: [relative(overlay, DEFAULT_OVERLAY)],
      images: [{ name: 'ghcr.io/redwing-dev/redwing', newTag: '0.1.1' }],
    }));
    const storePodsBefore = (await listStorePods(cluster.client, 'cache')).map((pod) => pod.uid);
    const writer = new Writer({ host: await masterServiceIp(cluster), port: 6379, password, prefix: 'upgrade-', retryForMs: 10_000, waitReplicas: 1, waitTimeoutMs: 1000 });
    const admissionErrors: string[] = [];
    let admitted = 0;
    let rolling = true;
    // A client applying KVStores all through the roll: a dry-run create (every webhook runs) and a real update.
    const applier = (async () => {
      for (let i = 0; rolling && i < 10_000; i++) {
        try {
          await cluster.client.create(`${paths.kvstores('default')}?dryRun=All`, { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: `loop-${i}` }, spec: { replicas: 2 } });
          await cluster.client.patch(paths.kvstore('default', 'cache'), { metadata: { labels: { 'roll-check': String(i) } } });
          admitted += 1;
        } catch (error: unknown) {
          admissionErrors.push(String((error as Error).message));
        }
      }
    })();
    try {
      await cluster.kubectl(['apply', '-k', overlay]);
      await cluster.kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deploy/redwing-webhook', 'deploy/redwing-reconciler', '--timeout=150s']);
      await waitFor('every operator pod on the new image', async () => {
        const pods = [...await operatorPods('webhook'), ...await operatorPods('reconciler')];
        return pods.length === 4 && pods.every((pod) => pod.spec.containers[0]!.image.endsWith(':0.1.1') && isReady(pod));
      }, 60_000);
    } finally {
      rolling = false;
      await applier;
    }
    const report = await writer.stop();
    assert.deepEqual(admissionErrors, [], `no failed admission (${admitted} admitted)`);
    assert.ok(admitted > 5, `the client kept applying during the roll (${admitted})`);
    const master = (await listStorePods(cluster.client, 'cache')).find((pod) => pod.role === 'master')!;
    assert.deepEqual(await lostWrites(master.ip!, password, report), [], 'no acknowledged write lost');
    assert.ok(report.acknowledged.length > 10);
    assert.deepEqual((await listStorePods(cluster.client, 'cache')).map((pod) => pod.uid), storePodsBefore, 'the same build renders the same store pods: none restarted');
  });

  it('uninstalls as the README says, keeping the CRDs, the stores and their data', async () => {
    const podsBefore = await listStorePods(cluster.client, 'cache');
    const rendered = await runKubectl(['kustomize', DEFAULT_OVERLAY]);
    await cluster.kubectl(['delete', '-l', 'app.kubernetes.io/component', '-f', '-', '--wait=true', '--timeout=60s'], rendered.stdout);
    await waitFor('the operator pods gone', async () => (await operatorPods('webhook')).length + (await operatorPods('reconciler')).length === 0, 60_000);
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      assert.equal(await cluster.client.getOptional(`/apis/admissionregistration.k8s.io/v1/${kind}/redwing-webhook`), undefined, `${kind} deleted`);
    }
    for (const crd of ['kvstores.redwing.dev', 'kvpolicies.redwing.dev', 'kvbackups.redwing.dev']) {
      await cluster.client.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`);
    }
    await cluster.client.get(`/api/v1/namespaces/${OPERATOR_NAMESPACE}`);
    const store = await getStore(cluster.client, 'cache');
    assert.equal(store.metadata?.deletionTimestamp, undefined);
    const pods = await listStorePods(cluster.client, 'cache');
    assert.deepEqual(pods.map((pod) => pod.uid), podsBefore.map((pod) => pod.uid), 'the store pods keep running');
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.equal(await redisCommand(master.ip!, password, 'GET', 'failover-:0'), '0', 'the data is still served');
  });

  it('re-installs and adopts the store: a scale through the new webhook pods gets a replica with the data', async () => {
    await cluster.kubectl(['apply', '-k', DEFAULT_OVERLAY]);
    await cluster.kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deploy/redwing-webhook', 'deploy/redwing-reconciler', '--timeout=120s']);
    await waitFor('the caBundle injected again', async () => {
      const stored = await cluster.client.get<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/redwing-webhook');
      return stored.webhooks.every((webhook) => webhook.clientConfig.caBundle);
    }, 30_000);
    const masterBefore = (await getStore(cluster.client, 'cache')).status?.master;
    await cluster.kubectl(['scale', 'kvs/cache', '--replicas=4']);
    const pods = await waitStoreReady(cluster.client, 'cache', 4, { timeoutMs: 90_000 });
    assert.equal(pods.find((pod) => pod.role === 'master')?.name, masterBefore, 'the adopted store keeps its master');
    const added = pods.find((pod) => pod.name === 'cache-3')!;
    await waitFor('the new replica has the data', async () => (await redisCommand(added.ip!, password, 'GET', 'failover-:0')) === '0', 20_000);
  });
});
