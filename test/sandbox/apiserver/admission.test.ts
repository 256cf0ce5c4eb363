import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';

/** The object of an AdmissionReview as far as these tests read it. */
interface ReviewedObject {
  kind?: string;
  metadata: { name?: string; uid?: string; creationTimestamp?: string | null };
  data?: Record<string, string>;
}

interface Received {
  path: string;
  review: {
    apiVersion: string;
    request: {
      uid: string; kind: unknown; resource: unknown; operation: string; namespace: string; name: string; userInfo: unknown;
      object: ReviewedObject | null; oldObject: ReviewedObject | null; dryRun: boolean; options: Record<string, unknown>;
    };
  };
}

describe('admission webhooks (golden 27–30)', () => {
  let t: TestServer;
  let webhook: Server;
  let port = 0;
  let caBundle = '';
  const received: Received[] = [];

  before(async () => {
    t = await startTestServer({ tokens: [{ token: 'sa-token', user: 'system:serviceaccount:redwing-system:redwing-reconciler', uid: 'sa-uid', groups: ['system:serviceaccounts'] }] });
    // RBAC is enforced: the token's user writes ConfigMaps in default through the built-in edit role
    await t.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'sa-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'system:serviceaccount:redwing-system:redwing-reconciler' }] } });
    const ca = createCertificateAuthority({ commonName: 'test-webhook-ca' });
    const cert = issueServingCertificate(ca, { commonName: 'webhook', dnsNames: ['localhost', 'hook.default.svc'], ipAddresses: ['127.0.0.1'] });
    caBundle = Buffer.from(ca.certPem).toString('base64');
    webhook = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['review'];
        received.push({ path: req.url ?? '', review });
        const uid = review.request.uid;
        const path = (req.url ?? '').split('?')[0];
        let response: Record<string, unknown> = { uid, allowed: true };
        if (path === '/mutate') {
          const patch = [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }];
          response = { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
        } else if (path === '/deny') {
          response = { uid, allowed: false, status: { code: 422, reason: 'Invalid', message: 'replicas must be odd for quorum' } };
        } else if (path === '/deny-nocode') {
          response = { uid, allowed: false, status: { message: 'denied without a code' } };
        } else if (path === '/warn') {
          response = { uid, allowed: true, warnings: ['engine dragonfly is experimental', 'second warning, with a comma and "quotes"'] };
        } else if (path === '/badpatch') {
          response = { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'replace', path: '/does/not/exist', value: 1 }])).toString('base64') };
        } else if (path === '/notjson') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('not json');
          return;
        } else if (path === '/http500') {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end('internal webhook error');
          return;
        } else if (path === '/slow') {
          // answers after the 1 s webhook timeout; the client gives up first
          setTimeout(() => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
          }, 3000).unref();
          return;
        } else if (path === '/wronguid') {
          response = { uid: '00000000-0000-0000-0000-000000000000', allowed: true };
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    port = (webhook.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
    await t.close();
  });

  const hook = (name: string, path: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['configmaps'] }],
    objectSelector: { matchLabels: labels },
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    timeoutSeconds: 5,
    ...extra,
  });

  it('applies a mutating webhook JSON patch and sends an AdmissionReview shaped as kube-apiserver does', async () => {
    const cfg = await t.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'mut' }, webhooks: [hook('mutate.test.redwing.dev', '/mutate', { hook: 'mutate' })] } });
    assert.equal(cfg.status, 201);
    assert.equal(cfg.body.webhooks[0].failurePolicy, 'Fail');
    assert.equal(cfg.body.webhooks[0].matchPolicy, 'Equivalent');
    assert.equal(cfg.body.webhooks[0].rules[0].scope, '*');
    received.length = 0;
    const res = await t.request('POST', `${CM}?fieldManager=golden-test`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm1', labels: { hook: 'mutate' } }, data: { k: 'v' } }, token: 'sa-token' });
    assert.equal(res.status, 201);
    assert.equal(res.body.metadata.labels.mutated, 'yes');
    assert.equal(received.length, 1);
    assert.match(received[0]!.path, /^\/mutate\?timeout=5s$/);
    const request = received[0]!.review.request;
    assert.equal(received[0]!.review.apiVersion, 'admission.k8s.io/v1');
    assert.deepEqual(request.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(request.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.equal(request.operation, 'CREATE');
    assert.equal(request.namespace, 'default');
    assert.equal(request.name, 'm1');
    assert.deepEqual(request.userInfo, { username: 'system:serviceaccount:redwing-system:redwing-reconciler', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:authenticated'] });
    assert.equal(request.oldObject, null);
    assert.equal(request.dryRun, false);
    assert.deepEqual(request.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'golden-test' });
    assert.equal(request.object?.kind, 'ConfigMap');
    // mutating admission runs before the uid and creationTimestamp are filled in (golden 27)
    assert.equal(request.object?.metadata.uid, undefined);
    assert.equal(request.object?.metadata.creationTimestamp, null);
    assert.ok(res.body.metadata.uid);
    // a patch to an existing object is an UPDATE with UpdateOptions
    received.length = 0;
    await t.request('PATCH', `${CM}/m1`, { body: { data: { k: 'v2' } }, contentType: 'application/merge-patch+json' });
    assert.equal(received[0]!.review.request.operation, 'UPDATE');
    assert.equal(received[0]!.review.request.options.kind, 'UpdateOptions');
    assert.equal(received[0]!.review.request.oldObject?.data?.k, 'v');
  });

  it('surfaces validating denials with the webhook status code, or 400 without one', async () => {
    await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'val' }, webhooks: [hook('deny422.test.redwing.dev', '/deny', { hook: 'deny' }), hook('denydefault.test.redwing.dev', '/deny-nocode', { hook: 'nocode' }), hook('warn.test.redwing.dev', '/warn', { hook: 'warn' }), hook('wronguid.test.redwing.dev', '/wronguid', { hook: 'wronguid' }), hook('ignored.test.redwing.dev', '/wronguid', { hook: 'ignore' }, { failurePolicy: 'Ignore' }), hook('down.test.redwing.dev', '/x', { hook: 'down' }, { clientConfig: { url: 'https://127.0.0.1:1/down', caBundle } })] },
    });
    const denied = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd1', labels: { hook: 'deny' } } } });
    assert.deepEqual(denied.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'admission webhook "deny422.test.redwing.dev" denied the request: replicas must be odd for quorum', reason: 'Invalid', code: 422 });
    const nocode = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd2', labels: { hook: 'nocode' } } } });
    assert.deepEqual(nocode.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'admission webhook "denydefault.test.redwing.dev" denied the request: denied without a code', code: 400 });
    assert.equal((await t.request('GET', `${CM}/d1`)).status, 404);
  });

  it('passes warnings through as 299 Warning headers, also on dryRun', async () => {
    const res = await t.request('POST', `${CM}?dryRun=All`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', labels: { hook: 'warn' } } } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.warning, '299 - "engine dragonfly is experimental", 299 - "second warning, with a comma and \\"quotes\\""');
  });

  it('failurePolicy Fail turns call failures into 500 InternalError; Ignore lets the request through', async () => {
    const wrong = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u1', labels: { hook: 'wronguid' } } } });
    assert.equal(wrong.status, 500);
    assert.equal(wrong.body.reason, 'InternalError');
    assert.match(wrong.body.message, /^Internal error occurred: failed calling webhook "wronguid\.test\.redwing\.dev": received invalid webhook response: expected response\.uid="[0-9a-f-]+", got "00000000-0000-0000-0000-000000000000"$/);
    const down = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u2', labels: { hook: 'down' } } } });
    assert.equal(down.status, 500);
    assert.match(down.body.message, /connect: connection refused$/);
    assert.equal(down.body.details.causes.length, 1);
    const ignored = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u3', labels: { hook: 'ignore' } } } });
    assert.equal(ignored.status, 201);
  });

  it('sends DELETE with oldObject and DeleteOptions, and dryRun to NoneOnDryRun webhooks', async () => {
    await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'del', labels: { hook: 'mutate' } } } });
    await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'rec' }, webhooks: [hook('record.test.redwing.dev', '/record', { hook: 'mutate' }, { sideEffects: 'NoneOnDryRun' })] } });
    received.length = 0;
    const del = await t.request('DELETE', `${CM}/del`);
    assert.equal(del.status, 200);
    const review = received.find((r) => r.path.startsWith('/record'))!.review.request;
    assert.equal(review.operation, 'DELETE');
    assert.equal(review.object, null);
    assert.equal(review.oldObject?.metadata.name, 'del');
    assert.equal(review.options.kind, 'DeleteOptions');
    received.length = 0;
    const dry = await t.request('POST', `${CM}?dryRun=All`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', labels: { hook: 'mutate' } } } });
    assert.equal(dry.status, 201);
    const dryReview = received.find((r) => r.path.startsWith('/record'))!.review.request;
    assert.equal(dryReview.dryRun, true);
    assert.deepEqual(dryReview.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] });
    assert.equal((await t.request('GET', `${CM}/dry`)).status, 404);
    const bad = await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'bad' }, webhooks: [hook('bad.test.redwing.dev', '/record', {}, { sideEffects: 'Some' })] } });
    assert.equal(bad.status, 422);
  });

  it('resolves service webhooks through EndpointSlices with the <svc>.<ns>.svc server name', async () => {
    await t.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hook' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } } });
    const slice = await t.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      body: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'hook-1', labels: { 'kubernetes.io/service-name': 'hook' } }, addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port }] },
    });
    assert.equal(slice.status, 201, 'loopback endpoints are accepted (the intended divergence)');
    const svcHook = hook('svc.test.redwing.dev', '', { hook: 'svc' });
    svcHook.clientConfig = { service: { name: 'hook', namespace: 'default', path: '/mutate', port: 443 }, caBundle };
    await t.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'svc' }, webhooks: [svcHook] } });
    const res = await t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1', labels: { hook: 'svc' } } } });
    assert.equal(res.status, 201);
    assert.equal(res.body.metadata.labels.mutated, 'yes');
  });

  it('reports webhook call failures as kube-apiserver does (golden 30)', async () => {
    const otherCa = createCertificateAuthority({ commonName: 'unrelated-ca' });
    await t.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'failures' },
        webhooks: [
          hook('badpatch.test.redwing.dev', '/badpatch', { hook: 'badpatch' }),
          hook('http500.test.redwing.dev', '/http500', { hook: 'http500' }),
          hook('notjson.test.redwing.dev', '/notjson', { hook: 'notjson' }),
          hook('slow.test.redwing.dev', '/slow', { hook: 'slow' }, { timeoutSeconds: 1 }),
          hook('badca.test.redwing.dev', '/record', { hook: 'badca' }, { clientConfig: { url: `https://127.0.0.1:${port}/record`, caBundle: Buffer.from(otherCa.certPem).toString('base64') } }),
        ],
      },
    });
    const create = (label: string) => t.request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `f-${label}`, labels: { hook: label } } } });
    const badpatch = await create('badpatch');
    assert.deepEqual(badpatch.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Internal error occurred: replace operation does not apply: doc is missing path: /does/not/exist: missing value', reason: 'InternalError', details: { causes: [{ message: 'replace operation does not apply: doc is missing path: /does/not/exist: missing value' }] }, code: 500 });
    const http500 = await create('http500');
    assert.equal(http500.body.message, 'Internal error occurred: failed calling webhook "http500.test.redwing.dev": failed to call webhook: an error on the server ("internal webhook error") has prevented the request from succeeding');
    const notjson = await create('notjson');
    assert.equal(notjson.body.message, `Internal error occurred: failed calling webhook "notjson.test.redwing.dev": failed to call webhook: couldn't get version/kind; json parse error: invalid character 'o' in literal null (expecting 'u')`);
    const slow = await create('slow');
    assert.equal(slow.body.message, `Internal error occurred: failed calling webhook "slow.test.redwing.dev": failed to call webhook: Post "https://127.0.0.1:${port}/slow?timeout=1s": context deadline exceeded`);
    const badca = await create('badca');
    assert.equal(badca.body.message, `Internal error occurred: failed calling webhook "badca.test.redwing.dev": failed to call webhook: Post "https://127.0.0.1:${port}/record?timeout=5s": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
    for (const label of ['badpatch', 'http500', 'slow', 'badca']) assert.equal((await t.request('GET', `${CM}/f-${label}`)).status, 404);
  });
});
