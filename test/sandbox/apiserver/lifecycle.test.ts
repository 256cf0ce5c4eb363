import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';

describe('lifecycle, identity and built-in validation (golden 24, 30, 31, 32)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ tokens: [{ token: 'sa', user: 'system:serviceaccount:redwing-system:redwing-reconciler', groups: ['system:serviceaccounts', 'system:serviceaccounts:redwing-system'] }] });
  });
  after(async () => t.close());

  it('a namespace is created with its label and finalizer, terminates on delete, and goes once finalized', async () => {
    const ns = await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
    assert.equal(ns.status, 201);
    assert.deepEqual(ns.body.metadata.labels, { 'kubernetes.io/metadata.name': 'golden' });
    assert.deepEqual(ns.body.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.body.status, { phase: 'Active' });
    assert.equal((await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } })).status, 409);
    const del = await t.request('DELETE', '/api/v1/namespaces/golden');
    assert.equal(del.status, 200);
    assert.equal(del.body.kind, 'Namespace');
    assert.equal(del.body.status.phase, 'Terminating');
    assert.ok(del.body.metadata.deletionTimestamp);
    const tooLate = await t.request('POST', '/api/v1/namespaces/golden/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-late' } } });
    assert.equal(tooLate.status, 403);
    assert.equal(tooLate.body.message, 'configmaps "too-late" is forbidden: unable to create new content in namespace golden because it is being terminated');
    assert.deepEqual(tooLate.body.details.causes, [{ reason: 'NamespaceTerminating', message: 'namespace golden is being terminated', field: 'metadata.namespace' }]);
    const finalized = await t.request('PUT', '/api/v1/namespaces/golden/finalize', { body: { ...del.body, spec: { finalizers: [] } } });
    assert.equal(finalized.status, 200);
    assert.equal((await t.request('GET', '/api/v1/namespaces/golden')).status, 404);
    assert.equal((await t.request('DELETE', '/api/v1/namespaces')).status, 405);
  });

  it('pods scheduled to a node are deleted gracefully; the kubelet finishes with gracePeriodSeconds=0', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    await t.request('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'redis:7' }], terminationGracePeriodSeconds: 10 } } });
    const bound = await t.request('POST', `${pods}/p/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-1' } } });
    assert.equal(bound.status, 201);
    assert.equal((await t.request('GET', `${pods}/p`)).body.spec.nodeName, 'node-1');
    const marked = await t.request('DELETE', `${pods}/p`);
    assert.equal(marked.body.kind, 'Pod');
    assert.equal(marked.body.metadata.deletionGracePeriodSeconds, 10);
    assert.equal((await t.request('GET', `${pods}/p`)).status, 200);
    const done = await t.request('DELETE', `${pods}/p`, { body: { gracePeriodSeconds: 0 } });
    assert.equal(done.body.kind, 'Pod');
    assert.equal((await t.request('GET', `${pods}/p`)).status, 404);
    await t.request('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } });
    const immediate = await t.request('DELETE', `${pods}/unscheduled`);
    assert.equal(immediate.body.kind, 'Pod');
    assert.equal((await t.request('GET', `${pods}/unscheduled`)).status, 404);
    await t.request('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evictee' }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } });
    const evicted = await t.request('POST', `${pods}/evictee/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictee' } } });
    assert.equal(evicted.status, 201);
    assert.equal((await t.request('GET', `${pods}/evictee`)).status, 404);
  });

  it('a terminating pod outlives status writes until the kubelet deletes it at grace 0; a shorter grace is kept for finalizers', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const bindTo = async (name: string) => t.request('POST', `${pods}/${name}/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'node-1' } } });
    await t.request('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'racing' }, spec: { containers: [{ name: 'c', image: 'redis:7' }], terminationGracePeriodSeconds: 10 } } });
    await bindTo('racing');
    assert.equal((await t.request('DELETE', `${pods}/racing`)).body.metadata.deletionGracePeriodSeconds, 10);
    // A kubelet status write that raced the deletion mark: the pod has no finalizers, yet its grace period is not over.
    const patched = await t.request('PATCH', `${pods}/racing/status`, { body: { status: { phase: 'Running' } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    assert.equal((await t.request('GET', `${pods}/racing`)).status, 200);
    await t.request('DELETE', `${pods}/racing`, { body: { gracePeriodSeconds: 0 } });
    assert.equal((await t.request('GET', `${pods}/racing`)).status, 404);

    await t.request('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'redis:7' }], terminationGracePeriodSeconds: 30 } } });
    await bindTo('held');
    const marked = await t.request('DELETE', `${pods}/held`);
    assert.equal(marked.body.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await t.request('DELETE', `${pods}/held`, { body: { gracePeriodSeconds: 60 } })).body.metadata.deletionGracePeriodSeconds, 30, 'only a shorter grace period is taken');
    const shortened = await t.request('DELETE', `${pods}/held`, { body: { gracePeriodSeconds: 0 } });
    assert.equal(shortened.body.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(Date.parse(shortened.body.metadata.deletionTimestamp), Date.parse(marked.body.metadata.deletionTimestamp) - 30_000);
    assert.equal((await t.request('GET', `${pods}/held`)).status, 200, 'the finalizer keeps it');
    await t.request('PATCH', `${pods}/held`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    assert.equal((await t.request('GET', `${pods}/held`)).status, 404);
  });

  it('SelfSubjectReview reports the token user; extra tokens act as service accounts', async () => {
    const admin = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(admin.status, 201);
    assert.deepEqual(admin.body.status.userInfo, { username: 'sandbox-admin', groups: ['system:masters', 'system:authenticated'] });
    const sa = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token: 'sa' });
    assert.equal(sa.body.status.userInfo.username, 'system:serviceaccount:redwing-system:redwing-reconciler');
    assert.equal((await t.request('GET', '/apis/authentication.k8s.io/v1/selfsubjectreviews')).status, 405);
  });

  it('reads extra tokens from <dir>/tokens.csv and writes a kubeconfig with the CA and the admin token', async () => {
    writeFileSync(join(t.dir, 'tokens.csv'), 'file-token,system:serviceaccount:redwing-system:redwing-webhook,uid-1,"system:serviceaccounts,system:serviceaccounts:redwing-system"\n');
    const res = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token: 'file-token' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.status.userInfo, { username: 'system:serviceaccount:redwing-system:redwing-webhook', uid: 'uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:redwing-system', 'system:authenticated'] });
    assert.equal((await t.request('GET', '/api/v1/namespaces', { token: 'unknown-token' })).status, 401);
    // no token at all is the anonymous user, whom RBAC allows nothing here (golden 31 #0)
    assert.equal((await t.request('GET', '/api/v1/namespaces', { token: null })).status, 403);
    const kubeconfig = readFileSync(t.server.kubeconfigPath, 'utf8');
    assert.match(kubeconfig, new RegExp(`server: ${t.server.url.replace(/[.]/g, '\\.')}`));
    assert.ok(kubeconfig.includes(Buffer.from(t.server.caCertPem).toString('base64')));
    assert.ok(kubeconfig.includes(t.server.token));
  });

  it('Secrets: stringData folds into data, bad base64 is a 400, tls Secrets need their keys', async () => {
    const secrets = '/api/v1/namespaces/default/secrets';
    const ok = await t.request('POST', secrets, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, stringData: { user: 'admin' } } });
    assert.equal(ok.body.type, 'Opaque');
    assert.deepEqual(ok.body.data, { user: Buffer.from('admin').toString('base64') });
    assert.equal(ok.body.stringData, undefined);
    const bad = await t.request('POST', secrets, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2' }, data: { k: 'no!base64' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte \d+$/);
    const tls = await t.request('POST', secrets, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3' }, type: 'kubernetes.io/tls', data: {} } });
    assert.equal(tls.body.message, 'Secret "s3" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]');
  });

  it('rejects invalid webhook configurations with 422', async () => {
    const base = { clientConfig: { url: 'https://127.0.0.1:1/x' }, rules: [], admissionReviewVersions: ['v1'], sideEffects: 'None' };
    const nodots = await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'golden-invalid' }, webhooks: [{ ...base, name: 'nodots' }] } });
    assert.equal(nodots.body.message, 'ValidatingWebhookConfiguration.admissionregistration.k8s.io "golden-invalid" is invalid: webhooks[0].name: Invalid value: "nodots": should be a domain with at least three segments separated by dots');
    const effects = await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'golden-invalid' }, webhooks: [{ ...base, name: 'a.b.c', sideEffects: 'Some' }] } });
    assert.equal(effects.body.message, 'ValidatingWebhookConfiguration.admissionregistration.k8s.io "golden-invalid" is invalid: webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"');
  });

  it('aggregated discovery answers with an ETag and 304 on If-None-Match', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const first = await t.request('GET', '/apis', { accept });
    assert.equal(first.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const groups = first.body.items as Array<{
      metadata: { name: string };
      versions: Array<{ resources: Array<{ resource: string; shortNames?: string[]; subresources?: Array<{ subresource: string }> }> }>;
    }>;
    const sts = groups.find((group) => group.metadata.name === 'apps')?.versions[0]?.resources.find((r) => r.resource === 'statefulsets');
    assert.deepEqual(sts?.subresources?.map((s) => s.subresource), ['scale', 'status']);
    assert.deepEqual(sts?.shortNames, ['sts']);
    const etag = first.headers.etag as string;
    const cached = await t.request('GET', '/apis', { accept, headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304);
    const legacy = await t.request('GET', '/apis');
    assert.equal(legacy.body.kind, 'APIGroupList');
  });
});
