import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyNotYetFixed, findBoundaryViolations, topFolder, type BoundaryRule } from '../../../scripts/lint/import-boundaries.js';
import type { ImportEdge } from '../../../scripts/lint/import-graph.js';

function edge(from: string, to: string): ImportEdge {
  return { from, to, specifier: to, line: 3, typeOnly: false };
}

function brokenRules(from: string, to: string, rules?: readonly BoundaryRule[]): string[] {
  return findBoundaryViolations([edge(from, to)], rules).map((violation) => violation.rule.name);
}

describe('scripts/lint/import-boundaries', () => {
  it('keeps the webhook and the reconciler apart both ways, type-only imports included', () => {
    assert.deepEqual(brokenRules('reconciler/audit/audit.ts', 'webhook/policy/cel.ts'), ['webhook-reconciler-apart']);
    assert.deepEqual(brokenRules('webhook/main.ts', 'reconciler/desired/index.ts'), ['webhook-reconciler-apart']);
    assert.deepEqual(brokenRules('webhook/main.ts', 'policy/engine.ts'), []);
  });

  it('lets only cli/ import the sandbox', () => {
    assert.deepEqual(brokenRules('cli/run-sandbox.ts', 'sandbox/cluster.ts'), []);
    assert.deepEqual(brokenRules('certs/rotation.ts', 'sandbox/cluster.ts'), ['only-cli-imports-sandbox']);
    assert.deepEqual(brokenRules('test/sandbox/cluster.test.ts', 'sandbox/cluster.ts'), []);
  });

  it('holds shared/, policy/, kube/ and the sandbox to the folders they may import', () => {
    assert.deepEqual(brokenRules('shared/names.ts', 'kube/client.ts'), ['shared-imports-nothing']);
    assert.deepEqual(brokenRules('policy/engine.ts', 'shared/names.ts'), []);
    assert.deepEqual(brokenRules('policy/engine.ts', 'kube/client.ts'), ['policy-over-shared']);
    assert.deepEqual(brokenRules('policy/engine.ts', 'webhook/app.ts'), ['policy-over-shared']);
    assert.deepEqual(brokenRules('kube/client.ts', 'policy/engine.ts'), ['kube-over-shared']);
    assert.deepEqual(brokenRules('sandbox/apiserver/server.ts', 'certs/authority.ts'), []);
    assert.deepEqual(brokenRules('sandbox/apiserver/server.ts', 'certs/rotation.ts'), ['sandbox-over-shared-and-kube']);
  });

  it('keeps test/ and bench/ out of the product, and test/ out of bench/', () => {
    assert.deepEqual(brokenRules('reconciler/main.ts', 'test/helpers/wait-for.ts'), ['product-never-imports-tests']);
    assert.deepEqual(brokenRules('shared/names.ts', 'bench/stats.ts'), ['shared-imports-nothing', 'product-never-imports-tests']);
    assert.deepEqual(brokenRules('bench/failover.bench.ts', 'test/helpers/wait-for.ts'), ['bench-never-imports-tests']);
    assert.deepEqual(brokenRules('test/reconciler/x.test.ts', 'bench/failover-stats.ts'), []);
  });

  it('never checks an import within one folder, and takes the folder from the first path segment', () => {
    const denyEverything: BoundaryRule[] = [{ name: 'deny', why: 'test', from: ['webhook'], mayImportOnly: [] }];
    assert.deepEqual(brokenRules('webhook/a.ts', 'webhook/policy/b.ts', denyEverything), []);
    assert.equal(topFolder('reconciler/apply/needs-apply.ts'), 'reconciler');
  });
});

describe('scripts/lint/import-boundaries notYetFixed', () => {
  const rule: BoundaryRule = { name: 'no-tests', why: 'test', from: ['bench'], mayNotImport: ['test'], notYetFixed: ['bench/old.ts', 'bench/done.ts'] };

  it('holds every file but the listed ones to the rule, and names a listed file that keeps it now', () => {
    const violations = findBoundaryViolations([edge('bench/old.ts', 'test/helpers/wait-for.ts'), edge('bench/new.ts', 'test/helpers/wait-for.ts')], [rule]);
    const split = applyNotYetFixed(violations, ['bench/old.ts', 'bench/new.ts', 'bench/done.ts'], [rule]);
    assert.deepEqual(split.violations.map((violation) => violation.edge.from), ['bench/new.ts']);
    assert.deepEqual(split.fixedButListed.map((listed) => listed.file), ['bench/done.ts']);
  });

  it('says nothing of a listed file that is not in the tree read', () => {
    assert.deepEqual(applyNotYetFixed([], ['bench/new.ts'], [rule]).fixedButListed, []);
  });
});
