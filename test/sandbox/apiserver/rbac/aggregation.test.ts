import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedRules, staleAggregations } from '../../../../sandbox/apiserver/rbac/aggregation.js';
import type { KubeObject } from '../../../../sandbox/apiserver/types.js';

function clusterRole(name: string, labels: Record<string, string>, rules: unknown[], aggregateLabel?: string): KubeObject {
  const role: KubeObject = { kind: 'ClusterRole', metadata: { name, labels }, rules };
  if (aggregateLabel) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [aggregateLabel]: 'true' } }] };
  return role;
}

describe('ClusterRole aggregation', () => {
  const read = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
  const write = { apiGroups: ['redwing.dev'], resources: ['kvstores'], verbs: ['create'] };
  const roles = [
    clusterRole('edit', {}, [], 'agg/edit'),
    clusterRole('z-extra', { 'agg/edit': 'true' }, [write, read]),
    clusterRole('a-base', { 'agg/edit': 'true' }, [read]),
    clusterRole('other', { unrelated: 'true' }, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
  ];

  it('collects the rules of the selected roles in name order, each rule once', () => {
    assert.deepEqual(aggregatedRules(roles[0]!, roles), [read, write]);
    assert.equal(aggregatedRules(roles[1]!, roles), undefined, 'a role without aggregationRule keeps its own rules');
  });

  it('reports only aggregated roles whose stored rules differ', () => {
    assert.deepEqual(staleAggregations(roles).map((s) => s.role.metadata.name), ['edit']);
    const settled = roles.map((r) => (r.metadata.name === 'edit' ? { ...r, rules: [read, write] } : r));
    assert.deepEqual(staleAggregations(settled), []);
  });
});
