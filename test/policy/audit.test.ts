import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicy, KVPolicySpec } from '../../shared/schema/kvpolicy.js';
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { auditStores, MAX_OFFENDERS } from '../../policy/audit.js';

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
