import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { pino } from 'pino';
import { describeCertificate, isIssuedBy, splitPemBundle } from '../../certs/authority.js';
import type { CertificateSource } from '../../certs/certificate-source.js';
import { createClusterSource, type ClusterSourceOptions } from '../../certs/cluster-source.js';
import { applyWebhookConfigurations, injectedBundles, resetCaBundles, startKube, type KubeHarness } from './kube-harness.js';
import { waitFor } from '../../harness/wait-for.js';

const logger = pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' });
const SERVICE_HOST = 'redwing-webhook.redwing-system.svc';

interface Replica {
  source: CertificateSource;
  port: number;
  stop(): Promise<void>;
}

/** A webhook replica: its certificate source plus a real https server that reloads with setSecureContext. */
async function startReplica(options: ClusterSourceOptions): Promise<Replica> {
  const source = await createClusterSource(options);
  const { certPem, keyPem } = source.current();
  const server = https.createServer({ cert: certPem, key: keyPem }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const uid = (JSON.parse(body || '{}') as { request?: { uid?: string } }).request?.uid;
      if (!uid) return response.end('admitted');
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } }));
    });
  });
  const unsubscribe = source.onChange((m) => server.setSecureContext({ cert: m.certPem, key: m.keyPem }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    source,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      unsubscribe();
      server.closeAllConnections();
      server.close();
      await source.stop();
    },
  };
}

/** What the API server does when it calls the webhook: verify the chain against caBundle, for the service name. */
function callWebhook(port: number, caBundlePem: string, serviceHost = SERVICE_HOST): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/validate/kvstore', ca: caBundlePem, servername: serviceHost, agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(body));
      },
    );
    request.on('error', reject);
    request.end('{}');
  });
}

/** For failure messages: what the replica serves now (validity, issuer), fetched without verification. */
function describePeer(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const c = socket.getPeerCertificate();
      socket.end();
      resolve(`peer ${c.valid_from}..${c.valid_to} issuer ${c.issuer?.CN} fp ${c.fingerprint256.slice(0, 8)}`);
    });
    socket.on('error', (e) => resolve(String(e)));
  });
}

describe('certs/cluster-source', () => {
  let kube: KubeHarness;
  const replicas: Replica[] = [];
  before(async () => {
    kube = await startKube({ namespaces: ['redwing-system', 'ns-missing', 'ns-rot'] });
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await kube.stop();
  });

  const base = (namespace: string, webhookConfigurationName: string): ClusterSourceOptions => ({
    kubeConfig: kube.kubeConfig,
    namespace,
    service: 'redwing-webhook',
    webhookConfigurationName,
    logger,
    refreshIntervalMs: 200,
  });

  it('creates the Secret, injects the bundle, is ready, and serves a chain that verifies against it', async () => {
    await applyWebhookConfigurations(kube, 'hooks-1');
    const replica = await startReplica(base('redwing-system', 'hooks-1'));
    replicas.push(replica);
    await waitFor('ready', () => replica.source.isReady());
    const material = replica.source.current();
    const described = describeCertificate(material.certPem);
    assert.ok(described.dnsNames.includes(SERVICE_HOST));
    assert.ok(described.dnsNames.includes('redwing-webhook.redwing-system.svc.cluster.local'));
    const bundles = await injectedBundles(kube, 'hooks-1');
    for (const bundle of bundles) assert.equal(bundle, material.caBundlePem);
    assert.equal(await callWebhook(replica.port, bundles[0]!), 'admitted');

    // A second replica adopts the same Secret instead of minting its own.
    const second = await startReplica(base('redwing-system', 'hooks-1'));
    replicas.push(second);
    assert.deepEqual(second.source.current(), material);
    assert.equal(await callWebhook(second.port, bundles[0]!), 'admitted');

    // Someone re-applies the manifests: not ready until re-injected, then ready again.
    await resetCaBundles(kube, 'hooks-1');
    await waitFor('re-injected', async () => (await injectedBundles(kube, 'hooks-1')).every((b) => b === material.caBundlePem));
    await waitFor('ready again', () => replica.source.isReady() && second.source.isReady());

    // Someone deletes the Secret: it comes back with the CA the webhooks trust, not a new one.
    await kube.core.deleteNamespacedSecret({ name: 'redwing-webhook-tls', namespace: 'redwing-system' });
    const restored = await waitFor('Secret restored', async () => {
      try {
        return await kube.core.readNamespacedSecret({ name: 'redwing-webhook-tls', namespace: 'redwing-system' });
      } catch {
        return undefined;
      }
    });
    assert.equal(Buffer.from(restored.data?.['ca.crt'] ?? '', 'base64').toString('utf8'), material.caBundlePem);
    assert.deepEqual(replica.source.current(), material);
  });

  it('is not ready while the webhook configurations are missing', async () => {
    const replica = await startReplica(base('ns-missing', 'hooks-missing'));
    replicas.push(replica);
    assert.ok(replica.source.current().certPem);
    assert.equal(replica.source.isReady(), false);
    await applyWebhookConfigurations(kube, 'hooks-missing');
    await waitFor('ready after apply', () => replica.source.isReady());
  });

  it('rotates serving cert and CA under continuous admission traffic to two replicas without a single failure', async () => {
    const options: ClusterSourceOptions = {
      ...base('ns-rot', 'hooks-rot'),
      // The validating webhook below is a `url: https://localhost:…` client, so the cert also names localhost.
      extraDnsNames: ['localhost'],
      // Seconds instead of years. Renewing after a third of the life leaves 12 s of slack for the serving cert and
      // 24 s for the CA: on a machine with a load average of 10 on 2 cores, one rotation step (a key generation
      // in each replica) has been seen to take ~5 s and a request 1-2 s. (Certificate times have 1 s resolution.)
      caValidityMs: 36_000,
      servingValidityMs: 18_000,
      rotation: { backdateMs: 0, renewFraction: 1 / 3, injectionSettleMs: 500, previousCaOverlapMs: 2000 },
    };
    const [a, b] = await Promise.all([startReplica(options), startReplica(options)]);
    replicas.push(a!, b!);
    const replicaList = [a!, b!];
    // The API server reaches replica A through Service + Endpoints (TLS name redwing-webhook.ns-rot.svc) from the
    // mutating webhook, and replica B through a url: client from the validating webhook.
    await kube.core.createNamespacedService({
      namespace: 'ns-rot',
      body: { metadata: { name: 'redwing-webhook' }, spec: { ports: [{ port: 443, targetPort: a!.port }] } },
    });
    await kube.core.createNamespacedEndpoints({
      namespace: 'ns-rot',
      body: { metadata: { name: 'redwing-webhook' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: a!.port }] }] },
    });
    const rules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
    const common = { admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', timeoutSeconds: 5, rules };
    await kube.admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: 'hooks-rot' },
        webhooks: [{ name: 'rot.mutate.redwing.dev', clientConfig: { service: { name: 'redwing-webhook', namespace: 'ns-rot', path: '/mutate' } }, ...common }],
      },
    });
    await kube.admission.createValidatingWebhookConfiguration({
      body: {
        metadata: { name: 'hooks-rot' },
        webhooks: [{ name: 'rot.validate.redwing.dev', clientConfig: { url: `https://localhost:${b!.port}/validate` }, ...common }],
      },
    });
    await waitFor('both ready', () => replicaList.every((r) => r.source.isReady()));
    const firstCa = splitPemBundle(a!.source.current().caBundlePem)[0]!;
    const servedCerts = new Set<string>();
    const bundleSizes = new Set<number>();
    for (const r of replicaList) {
      servedCerts.add(r.source.current().certPem);
      r.source.onChange((m) => servedCerts.add(m.certPem));
    }

    let requests = 0;
    const failures: string[] = [];
    let rotated = false;
    let requestsAfterRotation = 0;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && requestsAfterRotation < 10) {
      requests++;
      // 1. A real admission: the sandbox API server calls both webhooks, verifying against the stored caBundle.
      try {
        await kube.core.createNamespacedConfigMap({ namespace: 'ns-rot', body: { metadata: { name: `cm-${requests}` }, data: { n: String(requests) } } });
      } catch (error: unknown) {
        failures.push(`admission ${requests} at ${new Date().toISOString()}: ${String((error as { body?: unknown }).body ?? error)}`);
      }
      // 2. The same check by hand, alternating replicas and webhooks, one fresh TLS handshake per call.
      const bundles = await injectedBundles(kube, 'hooks-rot');
      const bundle = bundles[requests % bundles.length]!;
      bundleSizes.add(splitPemBundle(bundle).length);
      const replica = replicaList[requests % replicaList.length]!;
      try {
        assert.equal(await callWebhook(replica.port, bundle, 'redwing-webhook.ns-rot.svc'), 'admitted');
      } catch (error: unknown) {
        failures.push(`direct ${requests} at ${new Date().toISOString()}: ${String(error)}; now serving ${await describePeer(replica.port)}`);
      }
      for (const [index, r] of replicaList.entries()) {
        if (!r.source.isReady()) failures.push(`replica ${index} not ready during rotation at request ${requests}`);
      }
      const current = a!.source.current();
      const caNow = splitPemBundle(current.caBundlePem);
      if (!rotated && caNow.length === 1 && caNow[0] !== firstCa && bundles.every((x) => x === current.caBundlePem)) rotated = true;
      if (rotated) requestsAfterRotation++;
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${requests * 2} requests failed`);
    assert.ok(rotated, 'the CA rotation completed (new CA alone in the injected bundle)');
    assert.ok(bundleSizes.has(2), 'requests were made while old and new CA overlapped');
    assert.ok(servedCerts.size >= 2, 'serving certificates were re-issued and reloaded');
    const stored = await kube.admission.readMutatingWebhookConfiguration({ name: 'hooks-rot' });
    assert.equal(stored.webhooks?.[0]?.clientConfig.service?.name, 'redwing-webhook', 'injection kept the rest of the configuration');
    const finalMaterial = a!.source.current();
    const finalCas = splitPemBundle(finalMaterial.caBundlePem);
    assert.ok(finalCas.some((ca) => isIssuedBy(finalMaterial.certPem, ca)));
    assert.ok(!isIssuedBy(finalMaterial.certPem, firstCa));
  });
});
