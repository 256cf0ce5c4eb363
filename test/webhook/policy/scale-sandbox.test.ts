/**
 * `kubectl scale` end to end: the sandbox API server sends the `kvstores/scale` admission request (an autoscaling/v1
 * Scale) to the real webhook over HTTPS, installed with the webhook configurations `redwing start` installs, and the
 * policy engine, fed by the real informers, judges it as an UPDATE of the store it has cached (labels and spec).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';
import type { CertificateSource, ServingMaterial } from '../../../certs/certificate-source.js';
import { buildLocalWebhookConfigurations } from '../../../cli/local-install.js';
import { createLogger } from '../../../shared/logger.js';
import { createWebhookApp } from '../../../webhook/app.js';
import { createPolicyEngine, type PolicyEngine } from '../../../policy/engine.js';
import { watchPolicySources, type PolicySources } from '../../../webhook/policy/sources.js';
import { startWebhookServer, type WebhookServer } from '../../../webhook/server.js';
import { postJson, startPolicySandbox, type PolicySandbox } from './sandbox-helpers.js';
import { waitFor } from '../../../harness/wait-for.js';
import { identityFromManifests } from '../../helpers/manifest-identity.js';

const STORES = '/apis/redwing.dev/v1alpha1/namespaces/shop/kvstores';
const KUBECTL = '/usr/bin/kubectl';

/** The real `kubectl scale`, against the sandbox's kubeconfig; resolves with its exit status and output. */
async function kubectlScale(sandbox: PolicySandbox, store: string, replicas: number): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(KUBECTL, ['--kubeconfig', sandbox.server.kubeconfigPath, '-n', 'shop', 'scale', `kvs/${store}`, `--replicas=${replicas}`]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

function staticSource(material: ServingMaterial): CertificateSource {
  return { current: () => material, onChange: () => () => {}, isReady: () => true, stop: async () => {} };
}

/** One raw request with the admin token; resolves with the status and the parsed body, whatever the status. */
function call(sandbox: PolicySandbox, method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${sandbox.server.token}` };
    if (text !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(text));
    }
    const req = httpsRequest(`${sandbox.server.url}${path}`, { method, ca: sandbox.server.caCertPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const store = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, namespace: 'shop', labels }, spec: { replicas: 1 },
});

describe('kubectl scale through the sandbox API server', () => {
  let sandbox: PolicySandbox;
  let engine: PolicyEngine;
  let sources: PolicySources;
  let webhook: WebhookServer;

  before(async () => {
    sandbox = await startPolicySandbox();
    const ca = createCertificateAuthority({ commonName: 'redwing-scale-test-ca' });
    const serving = issueServingCertificate(ca, { commonName: '127.0.0.1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const logger = createLogger('scale-test', { level: 'silent' });
    engine = createPolicyEngine();
    // as the webhook runs: under its ServiceAccount with the roles of manifests/rbac/webhook.yaml
    sources = watchPolicySources(engine, await identityFromManifests(sandbox.kubeConfig, 'webhook'), { logger });
    webhook = await startWebhookServer({
      app: createWebhookApp({ policy: engine, logger }),
      certificateSource: staticSource({ ...serving, caBundlePem: ca.certPem }), port: 0, host: '127.0.0.1',
    });
    for (const configuration of buildLocalWebhookConfigurations(`https://127.0.0.1:${webhook.port}`, ca.certPem)) {
      const plural = configuration.kind === 'MutatingWebhookConfiguration' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
      await postJson(sandbox.server, `/apis/admissionregistration.k8s.io/v1/${plural}`, configuration);
    }
    await postJson(sandbox.server, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await postJson(sandbox.server, '/apis/redwing.dev/v1alpha1/kvpolicies', {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'max-three' },
      spec: { exclude: { storeSelector: { matchLabels: { legacy: 'true' } } }, rules: { maxReplicas: 3 } },
    });
    await sources.synced;
    await waitFor('the policy cached', () => engine.listPolicies().length === 1, 10_000);
  });

  after(async () => {
    await webhook?.close();
    await sources?.stop();
    await sandbox?.close();
  });

  it('refuses a scale above maxReplicas with the policy message, and allows one within it', async () => {
    await postJson(sandbox.server, STORES, store('cache', { team: 'checkout' }));
    const refused = await call(sandbox, 'PATCH', `${STORES}/cache/scale`, { spec: { replicas: 5 } });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(String(refused.body.message), /denied the request: .*KVPolicy "max-three": spec\.replicas is 5; must be at most 3 \(rule maxReplicas\)/);
    assert.equal(((await call(sandbox, 'GET', `${STORES}/cache`)).body.spec as { replicas: number }).replicas, 1, 'unchanged');

    const allowed = await call(sandbox, 'PATCH', `${STORES}/cache/scale`, { spec: { replicas: 3 } });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal(allowed.body.kind, 'Scale');
    assert.equal(((await call(sandbox, 'GET', `${STORES}/cache`)).body.spec as { replicas: number }).replicas, 3);
  });

  it('refuses `kubectl scale` itself with the policy message', async () => {
    await postJson(sandbox.server, STORES, store('kubectl', { team: 'search' }));
    const refused = await kubectlScale(sandbox, 'kubectl', 4);
    assert.equal(refused.ok, false, refused.output);
    assert.match(refused.output, /denied the request: .*spec\.replicas is 4; must be at most 3 \(rule maxReplicas\)/);
    const scaled = await kubectlScale(sandbox, 'kubectl', 2);
    assert.equal(scaled.ok, true, scaled.output);
    assert.equal(((await call(sandbox, 'GET', `${STORES}/kubectl`)).body.spec as { replicas: number }).replicas, 2);
  });

  it('matches the store by the labels the webhook has cached: an excluded store scales freely', async () => {
    await postJson(sandbox.server, STORES, store('legacy', { legacy: 'true' }));
    await waitFor('the store labels cached', () => engine.evaluateScale({ namespace: 'shop', name: 'legacy', replicas: 9, userInfo: { username: 'alice' } }).length === 0, 10_000);
    const scaled = await call(sandbox, 'PATCH', `${STORES}/legacy/scale`, { spec: { replicas: 5 } });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
  });

  it('refuses `kubectl scale` by a CEL rule about replicas, naming the policy, once the store is cached', async () => {
    await postJson(sandbox.server, '/apis/redwing.dev/v1alpha1/kvpolicies', {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'cel-replicas' },
      spec: {
        match: { storeSelector: { matchLabels: { sizing: 'cel' } } },
        rules: { expressions: [{ expression: "object.spec.replicas <= 2 || object.metadata.namespace == 'big'", message: 'at most 2 replicas outside "big"' }] },
      },
    });
    await postJson(sandbox.server, STORES, store('sized', { sizing: 'cel' }));
    // The informers deliver the policy and the store asynchronously; the webhook judges CEL once both are cached.
    await waitFor('the CEL policy and the store cached', () => engine.evaluateScale({ namespace: 'shop', name: 'sized', replicas: 3, userInfo: { username: 'alice' } })
      .some((violation) => violation.policy === 'cel-replicas'), 10_000);

    const refused = await kubectlScale(sandbox, 'sized', 3);
    assert.equal(refused.ok, false, refused.output);
    assert.match(refused.output, /denied the request: .*KVPolicy "cel-replicas": at most 2 replicas outside "big" \(rule expressions\[0\]\)/);
    assert.doesNotMatch(refused.output, /max-three/, '3 is within maxReplicas: only the CEL rule refuses it');
    assert.equal(((await call(sandbox, 'GET', `${STORES}/sized`)).body.spec as { replicas: number }).replicas, 1, 'unchanged');

    const scaled = await kubectlScale(sandbox, 'sized', 2);
    assert.equal(scaled.ok, true, scaled.output);
    assert.equal(((await call(sandbox, 'GET', `${STORES}/sized`)).body.spec as { replicas: number }).replicas, 2);
  });
});
