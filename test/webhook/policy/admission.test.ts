/** The real policy engine behind the real webhook app: what a user sees from kubectl, per enforcement mode. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createWebhookApp } from '../../../webhook/app.js';
import { createPolicyEngine } from '../../../policy/engine.js';
import { loadPolicyFiles } from '../../../webhook/policy/sources.js';
import { admissionFixture, applyStrict, decodePatch, kvpolicyCreate, kvstoreCreate, kvstoreUpdate, type Json } from '../helpers.js';

type Response = { allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };

async function review(app: ReturnType<typeof createWebhookApp>, path: string, body: unknown): Promise<Response> {
  const res = await request(app).post(path).set('content-type', 'application/json').send(JSON.stringify(body));
  assert.equal(res.status, 200);
  return res.body.response as Response;
}

const policy = (name: string, spec: Json) => ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec });

describe('admission with the policy engine', () => {
  const engine = createPolicyEngine();
  engine.setPolicies([
    policy('enforce-tls', { rules: { requireTLS: true } }) as never,
    policy('warn-engines', { enforcement: 'Warn', rules: { allowedEngines: ['valkey'] } }) as never,
    policy('audit-replicas', { enforcement: 'Audit', rules: { maxReplicas: 2 } }) as never,
    policy('cel-no-shrink', { rules: { expressions: [{ expression: 'oldObject == null || object.spec.replicas >= oldObject.spec.replicas', message: 'scaling down needs the platform team' }] } }) as never,
  ]);
  const app = createWebhookApp({ policy: engine });

  it('Enforce: 403 naming the policy, the field and the rule (Audit violations are not shown)', async () => {
    const response = await review(app, '/validate/kvstore', kvstoreCreate({ engine: 'redis' }));
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 403);
    assert.match(response.status!.message, /KVPolicy "enforce-tls": spec\.tls\.enabled must be true \(rule requireTLS\)/);
    assert.doesNotMatch(response.status!.message, /audit-replicas/);
  });

  it('Warn: allowed with warnings; Audit: allowed silently', async () => {
    const response = await review(app, '/validate/kvstore', kvstoreCreate({ engine: 'redis', replicas: 3, tls: { enabled: true } }));
    assert.equal(response.allowed, true);
    assert.ok(response.warnings?.some((w) => /warn-engines.*spec\.engine is "redis"; allowed: "valkey"/.test(w)), JSON.stringify(response.warnings));
    assert.ok(!response.warnings?.some((w) => /audit-replicas/.test(w)));
  });

  it('CEL over oldObject on UPDATE', async () => {
    const response = await review(app, '/validate/kvstore', kvstoreUpdate({ engine: 'valkey', replicas: 3, tls: { enabled: true } }, { engine: 'valkey', replicas: 1, tls: { enabled: true } }));
    assert.equal(response.allowed, false);
    assert.match(response.status!.message, /KVPolicy "cel-no-shrink": scaling down needs the platform team \(rule expressions\[0\]\)/);
  });

  it('the operator service account is not subject to policy', async () => {
    const response = await review(app, '/validate/kvstore', kvstoreCreate({ engine: 'redis' }, { username: 'system:serviceaccount:redwing-system:redwing-reconciler' }));
    assert.equal(response.allowed, true);
  });

  it('/validate/kvpolicy refuses a CEL expression that does not compile, saying where', async () => {
    const response = await review(app, '/validate/kvpolicy', kvpolicyCreate({ rules: { expressions: [{ expression: 'object.spec.replicas >' }] } }));
    assert.equal(response.allowed, false);
    assert.match(response.status!.message, /spec\.rules\.expressions\[0\]\.expression: syntax error at line 1, column 22/);
    const notBool = await review(app, '/validate/kvpolicy', kvpolicyCreate({ rules: { expressions: [{ expression: 'object.spec.replicas * 2' }] } }));
    assert.equal(notBool.allowed, false);
    assert.match(notBool.status!.message, /must evaluate to a bool/);
    const fine = await review(app, '/validate/kvpolicy', kvpolicyCreate({ rules: { expressions: [{ expression: 'object.spec.replicas <= 5' }] } }));
    assert.equal(fine.allowed, true);
  });

  it('/mutate/kvstore merges policy defaults (sample baseline) under what the user wrote', async () => {
    const samples = loadPolicyFiles([new URL('../../../manifests/samples/kvpolicy-production-baseline.yaml', import.meta.url).pathname]);
    const withDefaults = createPolicyEngine();
    withDefaults.setPolicies(samples);
    withDefaults.setNamespaceLabels('golden', { env: 'production' });
    const body = kvstoreCreate({ engine: 'redis', replicas: 5 });
    const response = await review(createWebhookApp({ policy: withDefaults }), '/mutate/kvstore', body);
    assert.equal(response.allowed, true);
    const mutated = applyStrict(body.request.object as Json, decodePatch({ response } as never)) as { spec: Json };
    assert.equal(mutated.spec.replicas, 5, 'the user value wins');
    assert.deepEqual(mutated.spec.tls, { enabled: true, secretName: `${(body.request.object as { metadata: { name: string } }).metadata.name}-tls` });
    assert.equal(mutated.spec.antiAffinity, 'required');
  });
});

describe('admission of /scale requests (kubectl scale) with the policy engine', () => {
  const engine = createPolicyEngine();
  engine.setPolicies([
    policy('max-five', { rules: { maxReplicas: 5, requireTLS: true } }) as never,
    policy('warn-min-two', { enforcement: 'Warn', rules: { minReplicas: 2 } }) as never,
  ]);
  const app = createWebhookApp({ policy: engine });
  const scaleTo = (replicas: number | undefined, patch: (review: ReturnType<typeof admissionFixture>) => void = () => {}) => {
    const body = admissionFixture('kvstore-update-scale');
    const spec = (body.request.object as Json).spec as Json;
    if (replicas === undefined) delete spec.replicas; else spec.replicas = replicas;
    patch(body);
    return body;
  };

  it('denies a Scale above maxReplicas with 403 naming the policy and the rule', async () => {
    const response = await review(app, '/validate/kvstore', scaleTo(7));
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 403);
    assert.equal(response.status?.message, 'KVPolicy "max-five": spec.replicas is 7; must be at most 5 (rule maxReplicas)');
  });

  it('allows a Scale within the bounds (other rules of the policy are not judged), with Warn violations as warnings', async () => {
    assert.deepEqual(await review(app, '/validate/kvstore', scaleTo(3)), { uid: admissionFixture('kvstore-update-scale').request.uid, allowed: true });
    const low = await review(app, '/validate/kvstore', scaleTo(undefined));
    assert.equal(low.allowed, true, 'a Scale without replicas means 0 (Go omits zero)');
    assert.match(low.warnings?.[0] ?? '', /warn-min-two.*spec\.replicas is 0; must be at least 2/);
  });

  it('lets the reconciler scale, ignores the status subresource, and never mutates a Scale', async () => {
    const reconciler = scaleTo(9, (body) => { (body.request.userInfo as Json).username = 'system:serviceaccount:redwing-system:redwing-reconciler'; });
    assert.equal((await review(app, '/validate/kvstore', reconciler)).allowed, true);
    const status = admissionFixture('kvstore-update-status');
    (status.request.object as Json).spec = { replicas: 99 };
    assert.equal((await review(app, '/validate/kvstore', status)).allowed, true);
    const mutated = await review(app, '/mutate/kvstore', scaleTo(9));
    assert.equal(mutated.allowed, true);
    assert.equal((mutated as Json).patch, undefined);
  });
});
