import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicy, KVPolicySpec } from '../../shared/schema/kvpolicy.js';
import type { PolicyRequest } from '../../policy/policy-port.js';
import { createPolicyEngine } from '../../policy/engine.js';
import { mergePolicyDefaults } from '../../policy/defaults-merge.js';

function policy(name: string, spec: KVPolicySpec): KVPolicy {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec };
}

function request(spec: Record<string, unknown> = {}, overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    operation: 'CREATE', namespace: 'prod',
    object: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cache', namespace: 'prod', labels: { tier: 'gold' } }, spec },
    oldObject: null, userInfo: { username: 'alice', groups: ['devs'] },
    ...overrides,
  };
}

describe('policy engine: evaluate', () => {
  it('returns each violation with its policy and enforcement mode, policies in name order', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([
      policy('c-audit', { enforcement: 'Audit', rules: { maxReplicas: 2 } }),
      policy('a-enforce', { rules: { requireTLS: true } }),
      policy('b-warn', { enforcement: 'Warn', rules: { allowedEngines: ['valkey'] } }),
    ]);
    assert.deepEqual(engine.evaluate(request()), [
      { policy: 'a-enforce', enforcement: 'Enforce', message: 'KVPolicy "a-enforce": spec.tls.enabled must be true (rule requireTLS)' },
      { policy: 'b-warn', enforcement: 'Warn', message: 'KVPolicy "b-warn": spec.engine is "redis"; allowed: "valkey" (rule allowedEngines)' },
      { policy: 'c-audit', enforcement: 'Audit', message: 'KVPolicy "c-audit": spec.replicas is 3; must be at most 2 (rule maxReplicas)' },
    ]);
    assert.deepEqual(engine.evaluate(request({ tls: { enabled: true }, engine: 'valkey', replicas: 2 })), []);
  });

  it('applies only matching policies; namespace labels come from the cache', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('prod-only', { match: { namespaceSelector: { matchLabels: { env: 'production' } } }, rules: { requireTLS: true } })]);
    assert.deepEqual(engine.evaluate(request()), [], 'labels of "prod" unknown yet');
    engine.setNamespaceLabels('prod', { env: 'production' });
    assert.equal(engine.evaluate(request()).length, 1);
    engine.setNamespaceLabels('prod', undefined);
    assert.equal(engine.evaluate(request()).length, 0);
    engine.replaceNamespaceLabels({ prod: { env: 'production' } });
    assert.equal(engine.evaluate(request()).length, 1);
  });

  it('exempts the operator service account, DELETE, and updates of a store being deleted', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('tls', { rules: { requireTLS: true } })]);
    assert.equal(engine.evaluate(request()).length, 1);
    assert.deepEqual(engine.evaluate(request({}, { userInfo: { username: 'system:serviceaccount:redwing-system:redwing-reconciler' } })), []);
    assert.deepEqual(engine.evaluate(request({}, { operation: 'DELETE', object: null as unknown as Record<string, unknown>, oldObject: request().object })), []);
    const deleting = request();
    (deleting.object.metadata as Record<string, unknown>).deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.deepEqual(engine.evaluate({ ...deleting, operation: 'UPDATE', oldObject: request().object }), [], 'removing a finalizer of a store being deleted');
  });

  it('upsert, remove and list keep the cache in name order', () => {
    const engine = createPolicyEngine();
    engine.upsertPolicy(policy('b', { rules: { requireTLS: true } }));
    engine.upsertPolicy(policy('a', { rules: { requireTLS: true } }));
    assert.deepEqual(engine.listPolicies().map((p) => p.metadata.name), ['a', 'b']);
    engine.upsertPolicy(policy('a', { rules: {} }));
    assert.deepEqual(engine.evaluate(request()).map((v) => v.policy), ['b']);
    engine.removePolicy('b');
    assert.deepEqual(engine.evaluate(request()), []);
  });

  it('CEL rules: false gives the rule message; an evaluation error is a violation in the policy mode', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([
      policy('cel-enforce', { rules: { expressions: [
        { expression: 'object.spec.replicas >= 3', message: 'production stores need 3 replicas' },
        { expression: 'object.spec.persistence.storageClassName == "fast"' },
      ] } }),
      policy('cel-warn', { enforcement: 'Warn', rules: { expressions: [{ expression: 'request.userInfo.username != "alice"' }] } }),
    ]);
    const violations = engine.evaluate(request({ replicas: 1 }));
    assert.equal(violations.length, 3);
    assert.deepEqual(violations[0], { policy: 'cel-enforce', enforcement: 'Enforce', message: 'KVPolicy "cel-enforce": production stores need 3 replicas (rule expressions[0])' });
    assert.equal(violations[1]!.enforcement, 'Enforce');
    assert.match(violations[1]!.message, /^KVPolicy "cel-enforce": spec\.rules\.expressions\[1\] \(object\.spec\.persistence\.storageClassName == "fast"\) could not be evaluated: field not found: persistence/);
    assert.match(violations[1]!.message, /guard optional fields with has\(\)/);
    assert.deepEqual(violations[2], { policy: 'cel-warn', enforcement: 'Warn', message: 'KVPolicy "cel-warn": spec.rules.expressions[0] is false: request.userInfo.username != "alice" (rule expressions[0])' });
  });

  it('CEL sees the object as the webhook passes it (after mutation) and the old object on UPDATE', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('no-shrink', { rules: { expressions: [{ expression: 'oldObject == null || object.spec.replicas >= oldObject.spec.replicas', message: 'do not scale down' }] } })]);
    assert.deepEqual(engine.evaluate(request({ replicas: 3 })), []);
    const update = request({ replicas: 2 }, { operation: 'UPDATE', oldObject: request({ replicas: 3 }).object });
    assert.deepEqual(engine.evaluate(update).map((v) => v.message), ['KVPolicy "no-shrink": do not scale down (rule expressions[0])']);
  });

  it('a cached policy whose expression does not compile fails closed', () => {
    const engine = createPolicyEngine();
    engine.setPolicies([policy('broken', { rules: { expressions: [{ expression: 'object.spec.replicas >' }] } })]);
    const [violation] = engine.evaluate(request());
    assert.equal(violation?.enforcement, 'Enforce');
    assert.match(violation!.message, /syntax error at line 1, column 22.*fix the policy/);
  });

  it('one request shares one CEL cost budget across its policies', () => {
    const engine = createPolicyEngine({ requestCelCostBudget: 75 });
    // Three different texts of the same cost: an identical text would be evaluated once per request (next test).
    const loop = (text: string) => ({ expression: `object.spec.args.all(a, a != "${text}")` });
    engine.setPolicies([policy('a', { rules: { expressions: [loop('w')] } }), policy('b', { rules: { expressions: [loop('x')] } }), policy('c', { rules: { expressions: [loop('y')] } })]);
    const args = Array.from({ length: 5 }, (_, i) => `--a${i}`);
    // Each evaluation costs 5 iterations x (8 (loop body nodes + 1) + 2 (the != call on short strings)) = 50: "a" fits,
    // "b" runs out part way, "c" is not evaluated.
    const messages = engine.evaluate(request({ args })).map((v) => v.message);
    assert.equal(messages.length, 2);
    assert.match(messages[0]!, /^KVPolicy "b": .*exceeded the cost budget of 25 .*what remained of this request.s CEL cost budget of 75/);
    assert.match(messages[1]!, /^KVPolicy "c": .*was not evaluated: this request used up its CEL cost budget of 75/);
    const roomy = createPolicyEngine();
    roomy.setPolicies(engine.listPolicies());
    assert.deepEqual(roomy.evaluate(request({ args })), [], 'the default budget fits all three');
  });

  it('evaluates the same expression text once per request, charging its cost once, and reports it per policy', () => {
    // Exactly the cost of one evaluation: the budget is spent after policy "a", and "b" and "c" reuse its result.
    const engine = createPolicyEngine({ requestCelCostBudget: 50 });
    const loop = { expression: 'object.spec.args.all(a, a != "--a4")', message: 'no --a4' };
    engine.setPolicies(['a', 'b', 'c'].map((name) => policy(name, { rules: { expressions: [loop], maxReplicas: 2 } })));
    const args = Array.from({ length: 5 }, (_, i) => `--a${i}`);
    // One evaluation; each policy still reports both of its rules under its own name.
    assert.deepEqual(engine.evaluate(request({ args })).map((v) => v.message), ['a', 'b', 'c'].flatMap((name) => [
      `KVPolicy "${name}": spec.replicas is 3; must be at most 2 (rule maxReplicas)`,
      `KVPolicy "${name}": no --a4 (rule expressions[0])`,
    ]));
    assert.deepEqual(engine.evaluate(request({ args: ['--a0'], replicas: 2 })), [], 'a new request, a new evaluation');
  });
});

describe('policy engine: defaults', () => {
  const engine = createPolicyEngine();
  engine.setPolicies([
    policy('20-team', { match: { storeSelector: { matchLabels: { tier: 'gold' } } }, defaults: { replicas: 5, persistence: { storageClassName: 'gold-ssd', size: '20Gi' }, args: ['--b'] } }),
    policy('10-org', { defaults: { tls: { enabled: true }, persistence: { storageClassName: 'standard' }, args: ['--a'] } }),
    policy('30-other', { match: { namespaces: ['dev'] }, defaults: { replicas: 1 } }),
    policy('40-nodefaults', { rules: { requireTLS: true } }),
  ]);

  it('lists the matching policies with defaults, sorted by name', () => {
    const defaults = engine.defaultsFor(request());
    assert.deepEqual(defaults.specs.map((s) => s.policy), ['10-org', '20-team']);
    assert.deepEqual(engine.defaultsFor(request({}, { operation: 'DELETE' })), { specs: [] });
  });

  it('merges deterministically: user wins, then first policy by name, objects deep, lists whole', () => {
    const { spec, contributions } = mergePolicyDefaults({ persistence: { size: '5Gi' } }, engine.defaultsFor(request()));
    assert.deepEqual(spec, {
      persistence: { size: '5Gi', storageClassName: 'standard' },
      tls: { enabled: true },
      args: ['--a'],
      replicas: 5,
    });
    assert.deepEqual(contributions, [
      { policy: '10-org', fields: ['tls', 'persistence', 'args'] },
      { policy: '20-team', fields: ['replicas'] },
    ]);
  });

  it('does not modify the cached policy or the input spec', () => {
    const input = { tls: { enabled: false } };
    const defaults = engine.defaultsFor(request());
    mergePolicyDefaults(input, defaults).spec.persistence = { size: 'changed' };
    assert.deepEqual(input, { tls: { enabled: false } });
    assert.deepEqual(engine.defaultsFor(request()).specs[0]!.spec.persistence, { storageClassName: 'standard' });
  });
});

describe('policy engine: validatePolicy', () => {
  const engine = createPolicyEngine();
  it('accepts a good policy', () => {
    assert.deepEqual(engine.validatePolicy(policy('ok', { rules: { expressions: [{ expression: 'object.spec.replicas <= 5' }] }, defaults: { replicas: 3 } })), []);
  });
  it('reports CEL compile errors, non-bool expressions, bad selectors and empty entries by field', () => {
    const errors = engine.validatePolicy(policy('bad', {
      match: { storeSelector: { matchExpressions: [{ key: 'a', operator: 'Is' }] } },
      rules: {
        allowedImageRegistries: ['registry.internal/', ''],
        expressions: [{ expression: 'object.spec.replicas >' }, { expression: 'object.spec.replicas' }, { expression: 'size(object.spec.args)' }],
      },
    }) as unknown as Record<string, unknown>);
    const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    assert.match(byField['spec.rules.expressions[0].expression']!, /syntax error at line 1, column 22/);
    assert.equal(byField['spec.rules.expressions[1].expression'], undefined, 'dyn is allowed at compile time');
    assert.match(byField['spec.rules.expressions[2].expression']!, /must evaluate to a bool.*int/);
    assert.ok(byField['spec.match.storeSelector.matchExpressions[0].operator']);
    assert.equal(byField['spec.rules.allowedImageRegistries[1]'], 'must not be empty');
    assert.equal(errors.length, 4);
  });
});

// Scale requests (the `/scale` subresource): scale-request.test.ts.
