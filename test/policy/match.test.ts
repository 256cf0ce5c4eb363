import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicySpec } from '../../shared/schema/kvpolicy.js';
import {
  compileMatcher, explainMismatch, matchesLabelSelector, matchesNamePattern, policyMatches, validateLabelSelector,
} from '../../policy/match.js';

const target = (namespace: string, storeLabels?: Record<string, string>, namespaceLabels?: Record<string, string>) =>
  ({ namespace, storeLabels, namespaceLabels });

describe('label selectors', () => {
  const labels = { env: 'prod', tier: 'gold' };
  it('matchLabels', () => {
    assert.equal(matchesLabelSelector(labels, { matchLabels: { env: 'prod' } }), true);
    assert.equal(matchesLabelSelector(labels, { matchLabels: { env: 'dev' } }), false);
    assert.equal(matchesLabelSelector(undefined, { matchLabels: { env: 'prod' } }), false);
  });
  it('matchExpressions In, NotIn, Exists, DoesNotExist (ANDed with matchLabels)', () => {
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }), true);
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }), false);
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }), true);
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }), true);
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }), true);
    assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }), false);
    assert.equal(matchesLabelSelector(labels, {
      matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['silver'] }],
    }), false);
  });
  it('empty and absent selectors match everything', () => {
    assert.equal(matchesLabelSelector(labels, {}), true);
    assert.equal(matchesLabelSelector(undefined, undefined), true);
  });
  it('validation catches what the opaque CRD schema does not', () => {
    assert.deepEqual(validateLabelSelector({ matchLabels: { a: 'b' } }, 'sel'), []);
    const errors = validateLabelSelector({
      matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }, { key: 'b', operator: 'In' }, { key: 'c', operator: 'Exists', values: ['x'] }],
      matchLabel: {},
    }, 'spec.match.storeSelector');
    assert.deepEqual(errors.map((e) => e.field), [
      'spec.match.storeSelector.matchLabel',
      'spec.match.storeSelector.matchExpressions[0].operator',
      'spec.match.storeSelector.matchExpressions[1].values',
      'spec.match.storeSelector.matchExpressions[2].values',
    ]);
  });
});

describe('policy match and exclude', () => {
  it('an empty match covers every store', () => {
    assert.equal(policyMatches({}, target('anything')), true);
  });

  it('match.namespaces, with * wildcards', () => {
    const spec = { match: { namespaces: ['prod', 'team-*'] } };
    assert.equal(policyMatches(spec, target('prod')), true);
    assert.equal(policyMatches(spec, target('team-a')), true);
    assert.equal(policyMatches(spec, target('dev')), false);
    assert.equal(matchesNamePattern('prod-east', ['prod']), false);
  });

  it('match.namespaceSelector uses the cached namespace labels plus kubernetes.io/metadata.name', () => {
    const spec = { match: { namespaceSelector: { matchLabels: { env: 'production' } } } };
    assert.equal(policyMatches(spec, target('shop', {}, { env: 'production' })), true);
    assert.equal(policyMatches(spec, target('shop', {}, { env: 'dev' })), false);
    assert.equal(policyMatches(spec, target('shop', {}, undefined)), false, 'unknown labels: only the name label');
    const byName = { match: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }] } } };
    assert.equal(policyMatches(byName, target('shop')), true);
  });

  it('match.storeSelector', () => {
    const spec = { match: { storeSelector: { matchLabels: { tier: 'gold' } } } };
    assert.equal(policyMatches(spec, target('a', { tier: 'gold' })), true);
    assert.equal(policyMatches(spec, target('a', { tier: 'bronze' })), false);
    assert.equal(policyMatches(spec, target('a')), false);
  });

  it('all parts of match must hold', () => {
    const spec = { match: { namespaces: ['prod'], storeSelector: { matchLabels: { tier: 'gold' } } } };
    assert.equal(policyMatches(spec, target('prod', { tier: 'gold' })), true);
    assert.equal(policyMatches(spec, target('dev', { tier: 'gold' })), false);
    assert.equal(policyMatches(spec, target('prod', { tier: 'x' })), false);
  });

  it('exclude wins over match: namespaces and store labels', () => {
    const spec = {
      match: { namespaceSelector: { matchLabels: { env: 'production' } } },
      exclude: { namespaces: ['prod-sandbox'], storeSelector: { matchLabels: { 'policy.redwing.dev/exempt': 'true' } } },
    };
    const prodNs = { env: 'production' };
    assert.equal(policyMatches(spec, target('prod-main', {}, prodNs)), true);
    assert.match(explainMismatch(spec, target('prod-sandbox', {}, prodNs))!, /exclude.namespaces/);
    assert.match(explainMismatch(spec, target('prod-main', { 'policy.redwing.dev/exempt': 'true' }, prodNs))!, /exclude.storeSelector/);
  });

  it('on UPDATE, relabelling cannot step out of a policy in the same request', () => {
    const matchSpec = { match: { storeSelector: { matchLabels: { tier: 'gold' } } } };
    assert.equal(policyMatches(matchSpec, { namespace: 'a', storeLabels: {}, oldStoreLabels: { tier: 'gold' }, namespaceLabels: {} }), true);
    assert.equal(policyMatches(matchSpec, { namespace: 'a', storeLabels: {}, oldStoreLabels: {}, namespaceLabels: {} }), false);
    const excludeSpec = { exclude: { storeSelector: { matchLabels: { exempt: 'true' } } } };
    assert.equal(policyMatches(excludeSpec, { namespace: 'a', storeLabels: { exempt: 'true' }, oldStoreLabels: {}, namespaceLabels: {} }), true, 'adding the exemption label does not exempt this update');
    assert.equal(policyMatches(excludeSpec, { namespace: 'a', storeLabels: { exempt: 'true' }, oldStoreLabels: { exempt: 'true' }, namespaceLabels: {} }), false);
    assert.equal(policyMatches(excludeSpec, { namespace: 'a', storeLabels: { exempt: 'true' }, oldStoreLabels: null, namespaceLabels: {} }), false, 'CREATE');
  });

  it('an empty exclude selector excludes nothing', () => {
    assert.equal(policyMatches({ exclude: { storeSelector: {} } }, target('a', { x: 'y' })), true);
  });
});

describe('compileMatcher', () => {
  it('agrees with explainMismatch on every combination of specs and targets', () => {
    const specs: Array<Pick<KVPolicySpec, 'match' | 'exclude'>> = [
      {},
      { match: {}, exclude: {} },
      { match: { namespaces: ['prod', 'team-*'] } },
      { match: { namespaceSelector: { matchLabels: { env: 'production' } } } },
      { match: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['prod'] }] } } },
      { match: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }, { key: 'tier', operator: 'DoesNotExist' }] } } },
      { match: { storeSelector: { matchLabels: { tier: 'gold' } } } },
      { match: { storeSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } } },
      { match: { storeSelector: {} } },
      { exclude: { namespaces: ['kube-*'] } },
      { exclude: { storeSelector: { matchLabels: { tier: 'gold' } } } },
      { exclude: { storeSelector: {} } },
      { match: { namespaces: ['prod'], storeSelector: { matchLabels: { tier: 'gold' } } }, exclude: { storeSelector: { matchExpressions: [{ key: 'legacy', operator: 'Exists' }] } } },
      { match: { storeSelector: { matchExpressions: [{ key: 'tier', operator: 'Bogus' as 'In', values: [] }] } } },
    ];
    const labelSets: Array<Record<string, string> | undefined> = [undefined, {}, { tier: 'gold' }, { tier: 'silver', legacy: 'yes' }, { tier: 'gold', legacy: '' }];
    const namespaceLabelSets: Array<Record<string, string> | undefined> = [undefined, { env: 'production' }, { env: 'dev', tier: 'x' }, { 'kubernetes.io/metadata.name': 'spoofed' }];
    let compared = 0;
    for (const spec of specs) {
      const matches = compileMatcher(spec);
      for (const namespace of ['prod', 'team-a', 'kube-system', 'dev']) {
        for (const storeLabels of labelSets) {
          for (const oldStoreLabels of [null, ...labelSets]) {
            for (const namespaceLabels of namespaceLabelSets) {
              for (const storeLabelsUnknown of [false, true]) {
                const target = { namespace, storeLabels, oldStoreLabels, namespaceLabels, storeLabelsUnknown };
                assert.equal(matches(target), explainMismatch(spec, target) === undefined, JSON.stringify({ spec, target }));
                compared += 1;
              }
            }
          }
        }
      }
    }
    assert.ok(compared > 1000);
  });

  it('with the store labels unknown, applies every policy that might cover the store', () => {
    const unknown = { namespace: 'prod', storeLabels: undefined, namespaceLabels: undefined, storeLabelsUnknown: true };
    assert.equal(compileMatcher({ match: { storeSelector: { matchLabels: { tier: 'gold' } } } })(unknown), true);
    assert.equal(compileMatcher({ exclude: { storeSelector: { matchLabels: { tier: 'gold' } } } })(unknown), true);
    assert.equal(compileMatcher({ exclude: { namespaces: ['prod'] } })(unknown), false, 'namespaces are known');
    assert.equal(compileMatcher({ match: { namespaces: ['dev'] } })(unknown), false);
  });
});
