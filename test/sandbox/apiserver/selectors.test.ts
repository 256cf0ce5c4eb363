import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelSelectorRequirements, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../../sandbox/apiserver/selectors.js';
import { ApiError } from '../../../sandbox/apiserver/status-errors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'redwing.dev/role': 'master' };
  const cases: [string, boolean][] = [
    ['app=web', true], ['app==web', true], ['app!=web', false], ['app!=db', true], ['missing!=x', true],
    ['app in (web,db)', true], ['app in (db)', false], ['app notin (db)', true], ['missing notin (db)', true],
    ['tier', true], ['!tier', false], ['!missing', true], ['app=web,tier=front', true], ['app=web,tier=back', false],
    ['redwing.dev/role=master', true], ['', true], ['app in ()', false],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} -> ${expected}`, () => assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected));
  }

  it('rejects syntax errors with kube-apiserver messages', () => {
    assert.throws(() => parseLabelSelector('app in (web'), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === "unable to parse requirement: found '', expected: ',' or ')'");
    assert.throws(() => parseLabelSelector('app=we b'), (e: unknown) => e instanceof ApiError && e.message === "found 'b', expected: ',' or 'end of string'");
    assert.throws(() => parseLabelSelector('Bad Key=1'), (e: unknown) => e instanceof ApiError && e.message === "unable to parse requirement: found 'Key', expected: in, notin, =, ==, !=, gt, lt");
  });

  it('converts metav1.LabelSelector', () => {
    const reqs = labelSelectorRequirements({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }, { key: 'gone', operator: 'DoesNotExist' }] });
    assert.equal(matchesLabels(reqs, labels), true);
    assert.equal(matchesLabels(reqs, { ...labels, gone: 'x' }), false);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  it('matches equality and inequality on nested fields', () => {
    assert.equal(matchesFields(parseFieldSelector('status.phase=Running,spec.nodeName!=n2'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.name==q'), pod), false);
  });
  it('rejects set syntax', () => {
    assert.throws(() => parseFieldSelector('metadata.name in (l1)'), (e: unknown) => e instanceof ApiError && e.message === "invalid selector: 'metadata.name in (l1)'; can't understand 'metadata.name in (l1)'");
  });
});
