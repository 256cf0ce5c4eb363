/**
 * Issue 12, points 2 and 5, end to end through the webhook app over HTTP with recorded AdmissionReviews: owned
 * settings in spec.args, policy rules on the effective configuration, merged security contexts, restricted-profile
 * warnings and rules.requireRestrictedPods.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createWebhookApp } from '../../webhook/app.js';
import { createPolicyEngine } from '../../policy/engine.js';
import { DEFAULT_CONTAINER_SECURITY_CONTEXT } from '../../shared/defaulting.js';
import { applyStrict, decodePatch, kvpolicyCreate, kvstoreCreate, kvstoreUpdate, type Json } from './helpers.js';

type Response = { allowed: boolean; patch?: string; patchType?: string; status?: { code: number; message: string; details?: { causes?: Json[] } }; warnings?: string[] };

async function review(app: ReturnType<typeof createWebhookApp>, path: string, body: unknown): Promise<Response> {
  const res = await request(app).post(path).set('content-type', 'application/json').send(JSON.stringify(body));
  assert.equal(res.status, 200);
  return res.body.response as Response;
}

const policy = (name: string, rules: Json) => ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec: { rules } });

/** What the API server does: the mutating webhook's patch, then the validating webhook on the result. */
async function admit(app: ReturnType<typeof createWebhookApp>, spec: Json): Promise<Response> {
  const create = kvstoreCreate(spec);
  const mutated = await review(app, '/mutate/kvstore', create);
  create.request.object = applyStrict(create.request.object!, decodePatch({ response: mutated } as never));
  return review(app, '/validate/kvstore', create);
}

describe('spec.args cannot set what the operator owns (through the webhook)', () => {
  const engine = createPolicyEngine();
  engine.setPolicies([policy('auth-tls-persistence', { requireAuthentication: true, requirePersistence: true }) as never]);
  const app = createWebhookApp({ policy: engine });

  it('refuses `--requirepass ""` with 422, naming spec.args[i] and what to do', async () => {
    const response = await admit(app, { args: ['--maxmemory-policy', 'allkeys-lru', '--requirepass', ''] });
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 422);
    assert.deepEqual(response.status?.details?.causes?.map((cause) => cause.field), ['spec.args[2]']);
    assert.match(response.status!.message, /spec\.args\[2\]: sets "requirepass", which the operator owns \(the password comes from spec\.authentication\.passwordFromSecret\); remove it/);
  });

  it('a store admitted before (the spec unchanged on UPDATE) is still judged by requireAuthentication and requirePersistence', async () => {
    const spec = { args: ['--requirepass', '', '--appendonly', 'no', '--save', ''] };
    const response = await review(app, '/validate/kvstore', kvstoreUpdate(spec, spec));
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 403);
    const message = response.status!.message;
    assert.match(message, /spec\.args\[0\] sets "requirepass", which can undo authentication; remove it \(rule requireAuthentication\)/);
    assert.match(message, /spec\.args\[2\] sets "appendonly", which can undo persistence; remove it \(rule requirePersistence\)/);
    assert.match(message, /spec\.args\[4\] sets "save".*\(rule requirePersistence\)/);
  });
});

describe('security contexts through the webhook', () => {
  const app = createWebhookApp();

  it('one field set keeps every other default in the stored object, and no warning', async () => {
    const create = kvstoreCreate({ containerSecurityContext: { readOnlyRootFilesystem: false } });
    const mutated = await review(app, '/mutate/kvstore', create);
    const stored = applyStrict(create.request.object!, decodePatch({ response: mutated } as never)) as { spec: Json };
    assert.deepEqual(stored.spec.containerSecurityContext, { ...DEFAULT_CONTAINER_SECURITY_CONTEXT, readOnlyRootFilesystem: false });
    const validated = await admit(app, { containerSecurityContext: { readOnlyRootFilesystem: false } });
    assert.equal(validated.allowed, true);
    assert.equal(validated.warnings, undefined);
  });

  it('the issue\'s privileged store is admitted with one warning per field, each at most 120 characters', async () => {
    const response = await admit(app, {
      podSecurityContext: { runAsUser: 0, seccompProfile: { type: 'Unconfined' } },
      containerSecurityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
    });
    assert.equal(response.allowed, true);
    const warnings = response.warnings ?? [];
    assert.match(warnings[0]!, /Pod Security "restricted" profile/);
    for (const field of ['podSecurityContext.runAsUser', 'podSecurityContext.seccompProfile.type', 'containerSecurityContext.privileged',
      'containerSecurityContext.allowPrivilegeEscalation', 'containerSecurityContext.capabilities.add']) {
      assert.ok(warnings.some((warning) => warning.startsWith(`spec.${field} `)), `${field}: ${JSON.stringify(warnings)}`);
    }
    for (const warning of warnings) assert.ok(warning.length <= 120, warning);
  });

  it('rules.requireRestrictedPods denies it with 403, naming each field', async () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('restricted', { requireRestrictedPods: true }) as never]);
    const strict = createWebhookApp({ policy: engine });
    const response = await admit(strict, { containerSecurityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } });
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 403);
    assert.match(response.status!.message, /spec\.containerSecurityContext\.capabilities\.add adds "CAP_SYS_ADMIN"; only NET_BIND_SERVICE is allowed \(rule requireRestrictedPods\)/);
    assert.match(response.status!.message, /spec\.containerSecurityContext\.allowPrivilegeEscalation must be false \(rule requireRestrictedPods\)/);
    assert.equal((await admit(strict, { containerSecurityContext: { readOnlyRootFilesystem: false } })).allowed, true);
  });

  it('/validate/kvpolicy accepts requireRestrictedPods and refuses a non-boolean', async () => {
    assert.equal((await review(app, '/validate/kvpolicy', kvpolicyCreate({ rules: { requireRestrictedPods: true } }))).allowed, true);
    const wrong = await review(app, '/validate/kvpolicy', kvpolicyCreate({ rules: { requireRestrictedPods: 'yes' } }));
    assert.equal(wrong.allowed, false);
    assert.match(wrong.status!.message, /spec\.rules\.requireRestrictedPods/);
  });
});
