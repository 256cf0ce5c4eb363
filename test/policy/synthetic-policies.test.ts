import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import { validateKVPolicySpecSchema } from '../../shared/validators.js';
import { createBenchPolicies, generateSyntheticPolicies } from '../../bench/fixtures/synthetic-policies.js';

const realistic = JSON.parse(readFileSync(new URL('../fixtures/kvstore/realistic.json', import.meta.url), 'utf8')) as {
  metadata: { name: string; namespace: string }; spec: KVStoreSpec;
};

describe('synthetic bench policies', () => {
  it('50 policies, 10 of them CEL, all valid', () => {
    const policies = generateSyntheticPolicies(50);
    assert.equal(policies.length, 50);
    assert.equal(new Set(policies.map((p) => p.metadata.name)).size, 50);
    assert.equal(policies.filter((p) => p.spec?.rules?.expressions?.length).length, 10);
    const engine = createBenchPolicies(50);
    for (const policy of policies) {
      assert.deepEqual([...validateKVPolicySpecSchema(policy.spec), ...engine.validatePolicy(policy as unknown as Record<string, unknown>)], [], policy.metadata.name);
    }
  });

  it('the realistic store (as the bench sends it, defaulted) breaks only the two Audit policies', () => {
    const engine = createBenchPolicies(50);
    const object = { ...realistic, spec: applyKVStoreDefaults(realistic.spec, realistic.metadata.name) };
    const violations = engine.evaluate({
      operation: 'CREATE', namespace: realistic.metadata.namespace, object, oldObject: null,
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
    });
    assert.deepEqual(violations.map((v) => `${v.policy} ${v.enforcement}`), ['bench-007 Audit', 'bench-023 Audit']);
    assert.ok(engine.defaultsFor({ operation: 'CREATE', namespace: 'shop', object, userInfo: {} }).specs.length > 0);
  });
});
