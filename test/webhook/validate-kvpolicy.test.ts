import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createWebhookApp } from '../../webhook/app.js';
import { validateKVPolicy } from '../../webhook/validate-kvpolicy.js';
import { NO_POLICIES, type PolicyPort } from '../../policy/policy-port.js';
import { kvpolicyCreate, type Json } from './helpers.js';

function policy(spec: unknown, name = 'p'): Json {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec };
}

describe('validateKVPolicy', () => {
  it('accepts a complete policy', () => {
    assert.deepEqual(validateKVPolicy(policy({
      enforcement: 'Warn',
      match: { namespaces: ['team-*'] },
      rules: { requireTLS: true, allowedEngines: ['redis', 'valkey'], minReplicas: 3, maxReplicas: 5, maxMemory: '4Gi',
        expressions: [{ expression: 'object.spec.replicas > 1', message: 'need replicas' }] },
      defaults: { tls: { enabled: true }, podMetadata: { labels: { team: 'a' } } },
    }), NO_POLICIES), []);
  });

  it('reports schema errors by field path', () => {
    const errors = validateKVPolicy(policy({ enforcement: 'Deny', rules: { minReplicas: 0, requireTLS: 'yes' } }), NO_POLICIES);
    assert.deepEqual(errors.map((e) => e.field).sort(), ['spec.enforcement', 'spec.rules.minReplicas', 'spec.rules.requireTLS']);
  });

  it('checks spec.defaults as a partial KVStore spec, with the single-field rules', () => {
    const schema = validateKVPolicy(policy({ defaults: { replicas: 99, nope: 1 } }), NO_POLICIES);
    assert.deepEqual(schema.map((e) => e.field).sort(), ['spec.defaults.nope', 'spec.defaults.replicas']);
    const owned = validateKVPolicy(policy({ defaults: { config: { dir: '/tmp' }, snapshot: { cron: 'never' } } }), NO_POLICIES);
    assert.deepEqual(owned.map((e) => e.field), ['spec.defaults.config.dir', 'spec.defaults.snapshot.cron']);
  });

  it('refuses contradicting bounds and unknown engines', () => {
    const errors = validateKVPolicy(policy({ rules: { minReplicas: 5, maxReplicas: 3, allowedEngines: ['redis', 'memcached'] } }), NO_POLICIES);
    assert.deepEqual(errors.map((e) => e.field), ['spec.rules.minReplicas', 'spec.rules.allowedEngines[1]']);
  });

  it('adds the policy engine checks', () => {
    const engine: PolicyPort = { ...NO_POLICIES, validatePolicy: () => [{ field: 'spec.rules.expressions[0].expression', message: 'does not compile' }] };
    assert.deepEqual(validateKVPolicy(policy({}), engine), [{ field: 'spec.rules.expressions[0].expression', message: 'does not compile' }]);
  });

  it('is served on /validate/kvpolicy with 422 and the uid', async () => {
    const review = kvpolicyCreate({ rules: { maxReplicas: 0 } });
    const res = await request(createWebhookApp()).post('/validate/kvpolicy').set('content-type', 'application/json').send(JSON.stringify(review));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.uid, review.request.uid);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 422);
    assert.match(res.body.response.status.message, /^KVPolicy team-policy is invalid: spec.rules.maxReplicas: must be >= 1$/);
    const ok = await request(createWebhookApp()).post('/validate/kvpolicy').set('content-type', 'application/json').send(JSON.stringify(kvpolicyCreate({ rules: { requireTLS: true } })));
    assert.equal(ok.body.response.allowed, true);
  });
});
