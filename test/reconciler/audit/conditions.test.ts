import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition } from '../../../shared/schema/kvstore.js';
import { conditionPatch, policyCompliantCondition, sameCondition } from '../../../reconciler/audit/conditions.js';

describe('PolicyCompliant condition', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const compliant = { namespace: 'ns', name: 's', generation: 4, policies: ['a', 'b'], violations: [] };
  const violating = { ...compliant, violations: ['KVPolicy "a": spec.tls.enabled must be true (rule requireTLS)'] };

  it('True/Compliant, True/NoPolicies, False/PolicyViolation', () => {
    assert.deepEqual(policyCompliantCondition(compliant, undefined, now), {
      type: 'PolicyCompliant', status: 'True', reason: 'Compliant', message: 'complies with KVPolicies a, b',
      lastTransitionTime: '2026-01-02T03:04:05Z', observedGeneration: 4,
    });
    assert.equal(policyCompliantCondition({ ...compliant, policies: [] }, undefined, now).reason, 'NoPolicies');
    const bad = policyCompliantCondition(violating, undefined, now);
    assert.equal(bad.status, 'False');
    assert.equal(bad.reason, 'PolicyViolation');
    assert.equal(bad.message, violating.violations[0]);
  });

  it('keeps lastTransitionTime while the status is unchanged', () => {
    const previous: Condition = { type: 'PolicyCompliant', status: 'False', reason: 'PolicyViolation', message: 'old', lastTransitionTime: '2020-01-01T00:00:00Z' };
    assert.equal(policyCompliantCondition(violating, previous, now).lastTransitionTime, '2020-01-01T00:00:00Z');
    assert.equal(policyCompliantCondition(compliant, previous, now).lastTransitionTime, '2026-01-02T03:04:05Z');
    assert.equal(sameCondition(previous, policyCompliantCondition(violating, previous, now)), false, 'message changed');
  });

  it('patches only its own condition, guarded against concurrent writers', () => {
    const condition = policyCompliantCondition(compliant, undefined, now);
    const other: Condition = { type: 'Available', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' };
    const old = { ...condition, status: 'False' as const };
    assert.deepEqual(conditionPatch({ conditions: [other, old] }, '7', condition), [
      { op: 'test', path: '/status/conditions/1/type', value: 'PolicyCompliant' },
      { op: 'replace', path: '/status/conditions/1', value: condition },
    ]);
    assert.deepEqual(conditionPatch({ conditions: [other] }, '7', condition), [
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'add', path: '/status/conditions/-', value: condition },
    ]);
    assert.deepEqual(conditionPatch({ phase: 'Ready' } as never, '7', condition).at(-1), { op: 'add', path: '/status/conditions', value: [condition] });
    assert.deepEqual(conditionPatch(undefined, '7', condition).at(-1), { op: 'add', path: '/status', value: { conditions: [condition] } });
  });
});
