/** Policy verdicts, the reconciler's fast path, fail-closed errors and dry runs, over HTTP. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWebhookApp } from '../../webhook/app.js';
import { createWebhookMetrics } from '../../webhook/metrics.js';
import { DEFAULT_RECONCILER_USERNAME, type PolicyPort, type PolicyRequest, type PolicyViolation } from '../../policy/policy-port.js';
import { applyStrict, decodePatch, kvpolicyCreate, kvstoreCreate, kvstoreUpdate, type Json, type ReviewBody } from './helpers.js';
import { envelope, post } from './http-helpers.js';

function recordingPolicy(violations: PolicyViolation[] = [], specs: Array<{ policy: string; spec: Json }> = []) {
  const calls: PolicyRequest[] = [];
  const port: PolicyPort = {
    evaluate: (req) => { calls.push(req); return violations; },
    defaultsFor: (req) => { calls.push(req); return { specs }; },
    validatePolicy: () => [],
  };
  return { port, calls };
}

describe('admission decisions with policies', () => {
  it('fails closed (HTTP 200, allowed false, code 500) when a handler throws, echoing the uid', async () => {
    const throwing: PolicyPort = {
      evaluate: () => { throw new Error('policy cache exploded'); },
      defaultsFor: () => { throw new Error('policy cache exploded'); },
      validatePolicy: () => { throw new Error('policy cache exploded'); },
    };
    const metrics = createWebhookMetrics({ processMetrics: false });
    const app = createWebhookApp({ policy: throwing, metrics });
    for (const [path, review] of [['/mutate/kvstore', kvstoreCreate({})], ['/validate/kvstore', kvstoreCreate({})], ['/validate/kvpolicy', kvpolicyCreate({})]] as Array<[string, ReviewBody]>) {
      const res = await post(app, path, review);
      assert.equal(res.status, 200, path);
      const response = envelope(res.body, review.request.uid);
      assert.equal(response.allowed, false);
      assert.equal(response.status!.code, 500);
      assert.match(response.status!.message, /policy cache exploded/);
    }
    const text = await metrics.registry.metrics();
    assert.match(text, /redwing_webhook_admission_requests_total\{webhook="validate-kvstore",operation="CREATE",result="error"\} 1/);
    assert.match(text, /redwing_webhook_admission_denials_total\{webhook="mutate-kvstore",reason="InternalError"\} 1/);
  });

  it('Enforce denies with 403 listing every violated rule and its policy; Warn warns; Audit is only counted', async () => {
    const { port } = recordingPolicy([
      { policy: 'require-tls', enforcement: 'Enforce', message: 'spec.tls.enabled must be true (rule requireTLS)' },
      { policy: 'prod-limits', enforcement: 'Enforce', message: 'spec.replicas must be at least 3 (rule minReplicas)' },
      { policy: 'registries', enforcement: 'Warn', message: 'spec.image must start with registry.internal/' },
      { policy: 'audit-only', enforcement: 'Audit', message: 'spec.persistence.enabled must be true' },
    ]);
    const metrics = createWebhookMetrics({ processMetrics: false });
    const app = createWebhookApp({ policy: port, metrics });
    const review = kvstoreCreate({ replicas: 1 });
    const res = await post(app, '/validate/kvstore', review);
    const response = envelope(res.body, review.request.uid);
    assert.equal(response.allowed, false);
    assert.equal(response.status!.code, 403);
    assert.equal(response.status!.reason, 'Forbidden');
    assert.match(response.status!.message, /^KVPolicy "require-tls": spec.tls.enabled must be true \(rule requireTLS\); /);
    assert.match(response.status!.message, /KVPolicy "prod-limits": spec.replicas must be at least 3/);
    assert.doesNotMatch(response.status!.message, /audit-only|registries/);
    assert.deepEqual(response.warnings, ['KVPolicy "registries": spec.image must start with registry.internal/']);
    const text = await metrics.registry.metrics();
    for (const [policy, enforcement] of [['require-tls', 'Enforce'], ['registries', 'Warn'], ['audit-only', 'Audit']]) {
      assert.match(text, new RegExp(`redwing_webhook_policy_violations_total\\{policy="${policy}",enforcement="${enforcement}"\\} 1`));
    }
    assert.match(text, /redwing_webhook_admission_denials_total\{webhook="validate-kvstore",reason="Forbidden"\} 1/);
  });

  it('allows with warnings when only Warn and Audit rules are broken', async () => {
    const { port } = recordingPolicy([
      { policy: 'registries', enforcement: 'Warn', message: 'spec.image must start with registry.internal/' },
      { policy: 'audit-only', enforcement: 'Audit', message: 'x' },
    ]);
    const res = await post(createWebhookApp({ policy: port }), '/validate/kvstore', kvstoreCreate({}));
    assert.equal(res.body.response.allowed, true);
    assert.deepEqual(res.body.response.warnings, ['KVPolicy "registries": spec.image must start with registry.internal/']);
  });

  it('skips policy for the reconciler service account, never the schema', async () => {
    const { port, calls } = recordingPolicy([{ policy: 'deny-all', enforcement: 'Enforce', message: 'no' }], [{ policy: 'd', spec: { replicas: 5 } }]);
    const app = createWebhookApp({ policy: port });
    const own = await post(app, '/validate/kvstore', kvstoreCreate({}, { username: DEFAULT_RECONCILER_USERNAME }));
    assert.equal(own.body.response.allowed, true);
    const mutated = await post(app, '/mutate/kvstore', kvstoreCreate({}, { username: DEFAULT_RECONCILER_USERNAME }));
    assert.equal((applyStrict({ spec: {} }, decodePatch(mutated.body)).spec as Json).replicas, 3, 'no policy defaults either');
    assert.equal(calls.length, 0);
    const invalid = await post(app, '/validate/kvstore', kvstoreCreate({ replicas: 40 }, { username: DEFAULT_RECONCILER_USERNAME }));
    assert.equal(invalid.body.response.status.code, 422);
    const other = await post(app, '/validate/kvstore', kvstoreCreate({}, { username: 'alice' }));
    assert.equal(other.body.response.status.code, 403);
    assert.equal(calls.length, 1);
    const custom = createWebhookApp({ policy: port, reconcilerUsername: 'system:serviceaccount:ops:reconciler' });
    const customOwn = await post(custom, '/validate/kvstore', kvstoreCreate({}, { username: 'system:serviceaccount:ops:reconciler' }));
    assert.equal(customOwn.body.response.allowed, true);
  });

  it('merges policy defaults in the mutating webhook, and not immutable ones on UPDATE', async () => {
    const { port } = recordingPolicy([], [{ policy: 'fast-disks', spec: { persistence: { storageClassName: 'fast' }, tls: { enabled: true } } }]);
    const app = createWebhookApp({ policy: port });
    const created = await post(app, '/mutate/kvstore', kvstoreCreate({}));
    const spec = applyStrict(kvstoreCreate({}).request.object!, decodePatch(created.body)).spec as Json;
    assert.equal((spec.persistence as Json).storageClassName, 'fast');
    assert.deepEqual(spec.tls, { enabled: true, secretName: 'rk1-tls' });
    const review = kvstoreUpdate({ replicas: 1 }, { replicas: 1 });
    const updated = await post(app, '/mutate/kvstore', review);
    const updatedSpec = applyStrict(review.request.object!, decodePatch(updated.body)).spec as Json;
    assert.equal((updatedSpec.persistence as Json).storageClassName, undefined);
    assert.equal((updatedSpec.tls as Json).enabled, true);
  });

  it('dryRun gives the same answer and records nothing (no Audit counts), and the policy port sees dryRun', async () => {
    const { port, calls } = recordingPolicy([{ policy: 'audit-only', enforcement: 'Audit', message: 'x' }]);
    const metrics = createWebhookMetrics({ processMetrics: false });
    const app = createWebhookApp({ policy: port, metrics });
    const dry = await post(app, '/validate/kvstore', kvstoreCreate({}, { dryRun: true }));
    const wet = await post(app, '/validate/kvstore', kvstoreCreate({}, { dryRun: false }));
    assert.deepEqual({ ...dry.body.response, uid: '' }, { ...wet.body.response, uid: '' });
    assert.deepEqual(calls.map((c) => c.dryRun), [true, false]);
    const text = await metrics.registry.metrics();
    assert.match(text, /redwing_webhook_policy_violations_total\{policy="audit-only",enforcement="Audit"\} 1\n/);
    const dryMutate = await post(app, '/mutate/kvstore', kvstoreCreate({}, { dryRun: true }));
    const wetMutate = await post(app, '/mutate/kvstore', kvstoreCreate({}, { dryRun: false }));
    assert.equal(dryMutate.body.response.patch, wetMutate.body.response.patch);
  });
});
