import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicy, KVPolicySpec } from '../../../shared/schema/kvpolicy.js';
import type { Condition, KVStore, KVStoreSpec } from '../../../shared/schema/kvstore.js';
import { auditStores, MAX_OFFENDERS } from '../../../reconciler/audit/audit.js';
import { conditionPatch, policyCompliantCondition, sameCondition } from '../../../reconciler/audit/conditions.js';

const policy = (name: string, spec: KVPolicySpec): KVPolicy => ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec });
const store = (namespace: string, name: string, spec: KVStoreSpec, labels?: Record<string, string>): KVStore =>
  ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { namespace, name, labels, generation: 2 }, spec });

describe('auditStores', () => {
  const policies = [
    policy('tls', { enforcement: 'Audit', match: { namespaceSelector: { matchLabels: { env: 'production' } } }, rules: { requireTLS: true } }),
    policy('engines', { enforcement: 'Warn', rules: { allowedEngines: ['redis'] } }),
    policy('owner', { rules: { expressions: [{ expression: 'has(object.metadata.labels) && "owner" in object.metadata.labels', message: 'needs an owner label' }] } }),
    policy('audit-aware', { rules: { expressions: [{ expression: 'request.operation == "AUDIT" && oldObject == null' }] } }),
  ];
  const namespaceLabels = { shop: { env: 'production' }, dev: {} };
  const stores = [
    store('shop', 'b-cache', { tls: { enabled: true } }, { owner: 'ann' }),
    store('shop', 'a-sessions', { engine: 'valkey' }),
    store('dev', 'scratch', {}, { owner: 'bob' }),
  ];

  it('counts violating stores per policy and lists offenders sorted by namespace/name', () => {
    const report = auditStores(policies, stores, namespaceLabels);
    assert.deepEqual(Object.fromEntries(report.policies), {
      'audit-aware': { violations: 0, offenders: [] },
      engines: { violations: 1, offenders: ['shop/a-sessions: spec.engine is "valkey"; allowed: "redis" (rule allowedEngines)'] },
      owner: { violations: 1, offenders: ['shop/a-sessions: needs an owner label (rule expressions[0])'] },
      tls: { violations: 1, offenders: ['shop/a-sessions: spec.tls.enabled must be true (rule requireTLS)'] },
    });
  });

  it('reports per-store compliance with the covering policies', () => {
    const report = auditStores(policies, stores, new Map(Object.entries(namespaceLabels)));
    assert.deepEqual(report.stores.map((s) => [`${s.namespace}/${s.name}`, s.policies.join(','), s.violations.length]), [
      ['dev/scratch', 'audit-aware,engines,owner', 0],
      ['shop/a-sessions', 'audit-aware,engines,owner,tls', 3],
      ['shop/b-cache', 'audit-aware,engines,owner,tls', 0],
    ]);
  });

  it('keeps at most 20 offenders but counts them all; skips stores being deleted', () => {
    const many = Array.from({ length: 25 }, (_, i) => store('ns', `s${String(i).padStart(2, '0')}`, { replicas: 9 }));
    many.push({ ...store('ns', 'zz-deleting', { replicas: 9 }), metadata: { namespace: 'ns', name: 'zz-deleting', deletionTimestamp: new Date() } as never });
    const result = auditStores([policy('max', { rules: { maxReplicas: 5 } })], many, {}).policies.get('max')!;
    assert.equal(result.violations, 25);
    assert.equal(result.offenders.length, MAX_OFFENDERS);
    assert.equal(result.offenders[0], 'ns/s00: spec.replicas is 9; must be at most 5 (rule maxReplicas)');
  });
});

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
