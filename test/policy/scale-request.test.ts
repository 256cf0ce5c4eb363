import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicy, KVPolicySpec } from '../../shared/schema/kvpolicy.js';
import type { ScaleRequest } from '../../policy/policy-port.js';
import { createPolicyEngine } from '../../policy/engine.js';
import { scaleAsUpdate, trimStoreForPolicies } from '../../policy/scale-request.js';

const RECONCILER = 'system:serviceaccount:redwing-system:redwing-reconciler';

function policy(name: string, spec: KVPolicySpec): KVPolicy {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec };
}

const scale = (replicas: number, overrides: Partial<ScaleRequest> = {}): ScaleRequest => ({
  namespace: 'prod', name: 'cache', replicas, userInfo: { username: 'alice', groups: ['devs'] }, ...overrides,
});

/** A KVStore as the informer delivers it: with status and managedFields, which the cache drops. */
function storedStore(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
    metadata: {
      name: 'cache', namespace: 'prod', labels: { tier: 'gold' }, annotations: { owner: 'team-a' }, generation: 4,
      resourceVersion: '812', uid: 'u-1', managedFields: [{ manager: 'kubectl', operation: 'Apply' }], ...metadata,
    },
    spec,
    status: { phase: 'Ready', replicas: 3 },
  };
}

describe('trimStoreForPolicies and scaleAsUpdate', () => {
  it('keeps what policies read, as a copy, and drops status and managedFields', () => {
    const source = storedStore({ replicas: 3, tls: { enabled: true } });
    const trimmed = trimStoreForPolicies(source);
    assert.deepEqual(trimmed, {
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
      metadata: { name: 'cache', namespace: 'prod', labels: { tier: 'gold' }, annotations: { owner: 'team-a' }, generation: 4 },
      spec: { replicas: 3, tls: { enabled: true } },
    });
    ((source.spec as Record<string, unknown>).tls as Record<string, unknown>).enabled = false;
    (source.metadata as { labels: Record<string, string> }).labels.tier = 'silver';
    assert.deepEqual(trimmed.spec.tls, { enabled: true }, 'not shared with the informer object');
    assert.deepEqual(trimmed.metadata.labels, { tier: 'gold' });
  });

  it('makes the UPDATE that sets spec.replicas, leaving the cached store untouched', () => {
    const cached = trimStoreForPolicies(storedStore({ replicas: 3 }));
    const update = scaleAsUpdate(cached, scale(5, { dryRun: true }));
    assert.equal(update.operation, 'UPDATE');
    assert.equal(update.oldObject, cached);
    assert.deepEqual(update.object, { ...cached, spec: { replicas: 5 } });
    assert.deepEqual(cached.spec, { replicas: 3 });
    assert.deepEqual(update.userInfo, { username: 'alice', groups: ['devs'] });
    assert.equal(update.dryRun, true);
  });
});

describe('policy engine: scale of a cached store (judged as an UPDATE of it)', () => {
  const celReplicas = policy('cel-replicas', {
    rules: { expressions: [{ expression: "object.spec.replicas <= 5 || object.metadata.namespace == 'big'", message: 'at most 5 replicas outside "big"' }] },
  });

  it('a CEL replicas rule denies a scale above it and allows a smaller one', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([celReplicas]);
    engine.setStore('prod', 'cache', storedStore({ replicas: 3 }));
    assert.deepEqual(engine.evaluateScale(scale(7)), [
      { policy: 'cel-replicas', enforcement: 'Enforce', message: 'KVPolicy "cel-replicas": at most 5 replicas outside "big" (rule expressions[0])' },
    ]);
    assert.deepEqual(engine.evaluateScale(scale(5)), []);
    engine.setStore('big', 'cache', storedStore({ replicas: 3 }, { namespace: 'big' }));
    assert.deepEqual(engine.evaluateScale(scale(9, { namespace: 'big' })), []);
  });

  it('CEL sees the cached store as oldObject, the request as an UPDATE by the scaling user', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('steps', {
      enforcement: 'Warn',
      rules: { expressions: [{
        expression: "request.operation == 'UPDATE' && request.userInfo.username == 'alice' && request.namespace == 'prod'"
          + ' && object.spec.replicas <= oldObject.spec.replicas + 2 && object.metadata.annotations.owner == oldObject.metadata.annotations.owner',
      }] },
    })]);
    engine.setStore('prod', 'cache', storedStore({ replicas: 3 }));
    assert.deepEqual(engine.evaluateScale(scale(5)), []);
    assert.deepEqual(engine.evaluateScale(scale(6)).map((v) => [v.policy, v.enforcement]), [['steps', 'Warn']]);
  });

  it('judges built-in rules other than the replica ones (requireTLS) against the cached store', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('tls', { rules: { requireTLS: true, maxReplicas: 5 } })]);
    engine.setStore('prod', 'cache', storedStore({ replicas: 3 }));
    assert.deepEqual(engine.evaluateScale(scale(4)), [
      { policy: 'tls', enforcement: 'Enforce', message: 'KVPolicy "tls": spec.tls.enabled must be true (rule requireTLS)' },
    ], 'a store that already breaks a rule cannot be scaled, as with any UPDATE of it');
    engine.setStore('prod', 'cache', storedStore({ replicas: 3, tls: { enabled: true } }));
    assert.deepEqual(engine.evaluateScale(scale(4)), []);
    assert.deepEqual(engine.evaluateScale(scale(6)).map((v) => v.message), ['KVPolicy "tls": spec.replicas is 6; must be at most 5 (rule maxReplicas)']);
  });

  it('answers exactly as evaluate() does for the same UPDATE, sharing its CEL budget', () => {
    const loop = (text: string) => ({ expression: `object.spec.args.all(a, a != "${text}")` });
    const policies = [
      policy('a', { rules: { expressions: [loop('')], requireAuthentication: true } }),
      policy('b', { enforcement: 'Audit', rules: { expressions: [loop('x')], allowedEngines: ['valkey'] } }),
      policy('c', { match: { storeSelector: { matchLabels: { tier: 'gold' } } }, rules: { expressions: [loop('y')], minReplicas: 3 } }),
    ];
    const args = Array.from({ length: 5 }, (_, i) => `--a${i}`);
    const stored = storedStore({ replicas: 3, args, authentication: { enabled: false } });
    const engine = createPolicyEngine({ requestCelCostBudget: 60 });
    engine.setPolicies(policies);
    engine.setStore('prod', 'cache', stored);
    const cached = trimStoreForPolicies(stored);
    const asUpdate = engine.evaluate({
      operation: 'UPDATE', namespace: 'prod', userInfo: { username: 'alice', groups: ['devs'] },
      object: { ...cached, spec: { ...cached.spec, replicas: 2 } }, oldObject: cached,
    });
    assert.equal(asUpdate.length, 5, JSON.stringify(asUpdate));
    assert.ok(asUpdate.some((v) => /used up its CEL cost budget of 60/.test(v.message)), 'the request budget applies');
    assert.deepEqual(engine.evaluateScale(scale(2)), asUpdate);
  });

  it('skips the exempt user and a store being deleted', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([celReplicas, policy('tls', { rules: { requireTLS: true } })]);
    engine.setStore('prod', 'cache', storedStore({ replicas: 3 }));
    assert.equal(engine.evaluateScale(scale(9)).length, 2);
    assert.deepEqual(engine.evaluateScale(scale(9, { userInfo: { username: RECONCILER } })), []);
    engine.setStore('prod', 'cache', storedStore({ replicas: 3 }, { deletionTimestamp: '2026-01-01T00:00:00Z' }));
    assert.deepEqual(engine.evaluateScale(scale(9)), [], 'as an UPDATE of a store being deleted');
  });
});

describe('policy engine: scale of a store not in the cache (fallback)', () => {
  it('judges the replica rules of every covering policy, and nothing else', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([
      policy('a-max', { rules: { maxReplicas: 5, requireTLS: true } }),
      policy('b-min', { enforcement: 'Warn', rules: { minReplicas: 2, expressions: [{ expression: 'false' }] } }),
      policy('c-dev', { match: { namespaces: ['dev'] }, rules: { maxReplicas: 1 } }),
    ]);
    assert.deepEqual(engine.evaluateScale(scale(3)), [], 'TLS and CEL rules need the store');
    assert.deepEqual(engine.evaluateScale(scale(7)), [
      { policy: 'a-max', enforcement: 'Enforce', message: 'KVPolicy "a-max": spec.replicas is 7; must be at most 5 (rule maxReplicas)' },
    ]);
    assert.deepEqual(engine.evaluateScale(scale(1)).map((v) => [v.policy, v.enforcement]), [['b-min', 'Warn']]);
    assert.deepEqual(engine.evaluateScale(scale(9, { userInfo: { username: RECONCILER } })), []);
  });

  it('applies selector policies while the store is unknown (fail closed), and its labels once cached', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([
      policy('gold', { match: { storeSelector: { matchLabels: { tier: 'gold' } } }, rules: { maxReplicas: 3 } }),
      policy('not-legacy', { exclude: { storeSelector: { matchLabels: { legacy: 'true' } } }, rules: { maxReplicas: 4 } }),
    ]);
    assert.deepEqual(engine.evaluateScale(scale(5)).map((v) => v.policy), ['gold', 'not-legacy'], 'unknown store: fail closed');
    engine.setStore('prod', 'cache', storedStore({ replicas: 1 }, { labels: { tier: 'silver', legacy: 'true' } }));
    assert.deepEqual(engine.evaluateScale(scale(5)), []);
    engine.setStore('prod', 'cache', storedStore({ replicas: 1 }, { labels: { tier: 'gold' } }));
    assert.deepEqual(engine.evaluateScale(scale(5)).map((v) => v.policy), ['gold', 'not-legacy']);
    assert.deepEqual(engine.evaluateScale(scale(5, { name: 'other' })).map((v) => v.policy), ['gold', 'not-legacy']);
    engine.setStore('prod', 'cache', storedStore({ replicas: 1 }, { labels: { tier: 'silver', legacy: 'true' } }));
    engine.setStore('prod', 'cache', undefined);
    assert.deepEqual(engine.evaluateScale(scale(5)).map((v) => v.policy), ['gold', 'not-legacy'], 'forgotten: fallback again');
  });
});
