/**
 * End to end on the sandbox: a TLS store (certificate issued from the operator CA, engines serving TLS only, the
 * operator reaching them over TLS), the printer columns through kubectl, the scale subresource through
 * `kubectl scale`, and the reconciler's /metrics, /healthz and /readyz.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { paths } from '../../../kube/paths.js';
import {
  E2E_ENGINE, getStore, kvstore, listStorePods, redisCommand, storePassword, useReconcilerOnSandbox, waitFor,
} from './e2e-helpers.js';

const run = promisify(execFile);

describe('reconciler end to end: TLS, kubectl and metrics', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await run('kubectl', ['--kubeconfig', e2e.cluster.sandbox.kubeconfigPath, ...args], { timeout: 20_000 });
    return stdout;
  }

  it('issues S-tls from the operator CA; the engines serve TLS and the store becomes Ready over TLS', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('secure', { replicas: 2, tls: { enabled: true } }));
    await waitFor('secure Ready', async () => (await getStore(e2e.cluster.client, 'secure')).status?.phase === 'Ready', 90_000);
    const secret = await e2e.cluster.client.get<{ type: string; data: Record<string, string> }>(paths.coreObject('secrets', 'default', 'secure-tls'));
    assert.equal(secret.type, 'kubernetes.io/tls');
    const certificate = new X509Certificate(Buffer.from(secret.data['tls.crt']!, 'base64'));
    const ca = new X509Certificate(Buffer.from(secret.data['ca.crt']!, 'base64'));
    assert.ok(certificate.checkIssued(ca), 'the serving certificate is issued by the CA in ca.crt');
    assert.match(certificate.subjectAltName ?? '', /secure-headless\.default\.svc/);

    const password = await storePassword(e2e.cluster.client, 'secure');
    const pods = await listStorePods(e2e.cluster.client, 'secure');
    const master = pods.find((pod) => pod.role === 'master')!;
    const replica = pods.find((pod) => pod.role === 'replica')!;
    const client = new Redis({
      host: master.ip, port: 6379, password, maxRetriesPerRequest: 0, retryStrategy: () => null,
      tls: { ca: ca.toString(), servername: `${master.name}.secure-headless.default.svc` },
    });
    client.on('error', () => undefined);
    try {
      assert.equal(await client.set('over-tls', 'yes'), 'OK');
    } finally {
      client.disconnect();
    }
    await assert.rejects(redisCommand(master.ip!, password, 'PING'), 'plain TCP is refused');
    const replicaClient = new Redis({
      host: replica.ip, port: 6379, password, maxRetriesPerRequest: 0, retryStrategy: () => null,
      tls: { ca: ca.toString(), servername: `${replica.name}.secure-headless.default.svc` },
    });
    replicaClient.on('error', () => undefined);
    try {
      await waitFor('replication over TLS', async () => (await replicaClient.get('over-tls')) === 'yes', 15_000);
    } finally {
      replicaClient.disconnect();
    }
  });

  it('shows the printer columns through kubectl and scales through the scale subresource', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore('cols', { replicas: 1 }));
    await waitFor('cols Ready', async () => (await getStore(e2e.cluster.client, 'cols')).status?.phase === 'Ready', 90_000);
    const table = await kubectl('get', 'kvs', 'cols');
    const [header, row] = table.trim().split('\n');
    assert.deepEqual(header!.split(/\s{2,}/), ['NAME', 'ENGINE', 'REPLICAS', 'READY', 'MASTER', 'PHASE', 'AGE']);
    const cells = row!.split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 6), ['cols', E2E_ENGINE ?? 'redis', '1', '1', 'cols-0', 'Ready']);

    await kubectl('scale', 'kvs/cols', '--replicas=2');
    assert.equal((await getStore(e2e.cluster.client, 'cols')).spec?.replicas, 2);
    await waitFor('cols Ready with 2', async () => {
      const status = (await getStore(e2e.cluster.client, 'cols')).status;
      return status?.phase === 'Ready' && status.readyReplicas === 2;
    }, 180_000);
    const scale = JSON.parse(await kubectl('get', '--raw', '/apis/redwing.dev/v1alpha1/namespaces/default/kvstores/cols/scale')) as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.equal(scale.spec.replicas, 2);
    assert.equal(scale.status.replicas, 2);
    assert.equal(scale.status.selector, 'app.kubernetes.io/name=kvstore,app.kubernetes.io/instance=cols');
  });

  it('grows PVCs in place and reports an immutable change (storage class) as a condition and an Event', async () => {
    await e2e.cluster.client.patch(paths.kvstore('default', 'cols'), { spec: { persistence: { size: '2Gi' } } });
    for (const claim of ['data-cols-0', 'data-cols-1']) {
      await waitFor(`${claim} to grow`, async () => {
        const pvc = await e2e.cluster.client.get<{ spec: { resources: { requests: { storage: string } } } }>(paths.coreObject('persistentvolumeclaims', 'default', claim));
        return pvc.spec.resources.requests.storage === '2Gi';
      }, 30_000);
    }
    await e2e.cluster.client.patch(paths.kvstore('default', 'cols'), { spec: { persistence: { storageClassName: 'other' } } });
    const progressing = await waitFor('the refusal in status', async () => {
      const condition = (await getStore(e2e.cluster.client, 'cols')).status?.conditions?.find((entry) => entry.type === 'Progressing');
      return condition?.reason === 'UnsupportedChange' ? condition : undefined;
    }, 30_000);
    assert.equal(progressing.status, 'False');
    assert.match(progressing.message, /storageClassName cannot change/);
    assert.equal((await getStore(e2e.cluster.client, 'cols')).status?.phase, 'Ready', 'the store keeps serving');
    const events = await e2e.cluster.client.list<{ reason: string; type: string; involvedObject: { name: string } }>(paths.core('events', 'default'));
    assert.ok(events.items.some((event) => event.reason === 'UnsupportedChange' && event.type === 'Warning' && event.involvedObject.name === 'cols'));
    await e2e.cluster.client.patch(paths.kvstore('default', 'cols'), { spec: { persistence: { storageClassName: null } } });
  });

  it('serves /metrics with reconcile, phase, role and lag series, and /healthz and /readyz', async () => {
    const base = `http://127.0.0.1:${e2e.reconciler.metricsPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /redwing_reconcile_duration_seconds_count\{result="success"\} [1-9]/);
    assert.match(text, /redwing_stores\{phase="Ready"\} 2/);
    assert.match(text, /redwing_pod_role\{namespace="default",store="cols",pod="cols-0",role="master"\} 1/);
    assert.match(text, /redwing_replication_lag_bytes\{namespace="default",store="cols",pod="cols-1"\} \d+/);
    assert.match(text, /redwing_pod_up\{namespace="default",store="secure",pod="secure-0"\} 1/);
    assert.match(text, /redwing_reconcile_errors_total \d+/);
    assert.match(text, /redwing_leader 1/);
  });
});
