import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createPolicyEngine } from '../../../policy/engine.js';
import { loadPolicyFiles, loadPolicyFilesInto, PolicyFileError, watchPolicySources } from '../../../webhook/policy/sources.js';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { postJson, startPolicySandbox, type PolicySandbox } from './sandbox-helpers.js';
import { identityFromManifests } from '../../helpers/manifest-identity.js';
import { waitFor } from '../../../harness/wait-for.js';

const SAMPLES = ['kvpolicy-production-baseline.yaml', 'kvpolicy-registry-allowlist.yaml', 'kvpolicy-cel.yaml']
  .map((file) => new URL(`../../../manifests/samples/${file}`, import.meta.url).pathname);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PolicyFileError, String(error));
    return error.problems;
  }
  assert.fail('expected a PolicyFileError');
}

describe('policy files (--policy FILE)', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'redwing-policy-files-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads the samples, and the engine enforces them', () => {
    const policies = loadPolicyFiles(SAMPLES);
    assert.deepEqual(policies.map((p) => p.metadata.name), ['10-production-baseline', '20-registry-allowlist', '30-cel-team-rules']);
    const engine = createPolicyEngine();
    assert.equal(loadPolicyFilesInto(engine, SAMPLES), 3);
    const violations = engine.evaluate({
      operation: 'CREATE', namespace: 'shop', userInfo: { username: 'alice' },
      object: { metadata: { name: 'cache' }, spec: { engine: 'dragonfly' } },
    });
    assert.deepEqual(violations.map((v) => `${v.policy}/${v.enforcement}`), ['20-registry-allowlist/Warn', '20-registry-allowlist/Warn', '20-registry-allowlist/Warn']);
  });

  it('reads multi-document YAML, JSON and List files', () => {
    const policy = (name: string) => ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec: { rules: { requireTLS: true } } });
    const yaml = write('multi.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: a}\nspec: {}\n---\napiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: b}\n');
    const json = write('one.json', JSON.stringify(policy('c')));
    const list = write('list.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy('d'), policy('e')] }));
    assert.deepEqual(loadPolicyFiles([yaml, json, list]).map((p) => p.metadata.name), ['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses the whole set, listing every problem with its file', () => {
    const badCel = write('cel.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: cel}\nspec:\n  rules:\n    expressions:\n      - expression: "object.spec.replicas >"\n');
    const wrongKind = write('kind.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    const badSchema = write('schema.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: schema}\nspec: {enforcement: Deny}\n');
    const good = write('good.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: twice}\n');
    const duplicate = write('dup.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: twice}\n');
    const brokenYaml = write('broken.yaml', 'kind: [unclosed\n');
    const badDefaults = write('defaults.yaml', 'apiVersion: redwing.dev/v1alpha1\nkind: KVPolicy\nmetadata: {name: defaults}\nspec:\n  rules: {minReplicas: 5, maxReplicas: 3}\n  defaults: {replicas: three}\n');
    const problems = problemsOf(() => loadPolicyFiles([badCel, wrongKind, badSchema, good, duplicate, brokenYaml, join(dir, 'missing.yaml'), badDefaults]));
    assert.equal(problems.length, 7, problems.join('\n'));
    assert.match(problems[0]!, /cel\.yaml: KVPolicy "cel": spec\.rules\.expressions\[0\]\.expression: syntax error at line 1, column 22/);
    assert.match(problems[1]!, /kind\.yaml: expected apiVersion redwing\.dev\/v1alpha1, kind KVPolicy/);
    assert.match(problems[2]!, /schema\.yaml: KVPolicy "schema": spec\.enforcement: must be one of/);
    assert.match(problems[3]!, /dup\.yaml: KVPolicy "twice" is also defined in .*good\.yaml/);
    assert.match(problems[4]!, /broken\.yaml: /);
    assert.match(problems[5]!, /missing\.yaml: ENOENT/);
    // The same validation as /validate/kvpolicy: defaults are a partial KVStore spec, bounds must agree.
    assert.match(problems[6]!, /defaults\.yaml: KVPolicy "defaults": spec\.defaults\.replicas: .*/);
  });
});

describe('policy sources: watch on the sandbox API server', () => {
  let sandbox: PolicySandbox;
  before(async () => { sandbox = await startPolicySandbox(); });
  after(async () => { await sandbox?.close(); });

  it('caches policies and namespace labels, and follows changes', async () => {
    const objects = sandbox.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = sandbox.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop', labels: { env: 'production' } } } });
    await objects.createClusterCustomObject({
      group: 'redwing.dev', version: 'v1alpha1', plural: 'kvpolicies',
      body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'tls' }, spec: { match: { namespaceSelector: { matchLabels: { env: 'production' } } }, rules: { requireTLS: true } } },
    });
    const engine = createPolicyEngine();
    // as the webhook runs: under its ServiceAccount with the roles of manifests/rbac/webhook.yaml
    const sources = watchPolicySources(engine, await identityFromManifests(sandbox.kubeConfig, 'webhook'));
    try {
      await sources.synced;
      const request = { operation: 'CREATE' as const, namespace: 'shop', userInfo: { username: 'alice' }, object: { metadata: { name: 's' }, spec: {} } };
      assert.deepEqual(engine.evaluate(request).map((v) => v.policy), ['tls']);

      await objects.createClusterCustomObject({
        group: 'redwing.dev', version: 'v1alpha1', plural: 'kvpolicies',
        body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'engines' }, spec: { rules: { allowedEngines: ['valkey'] } } },
      });
      await waitFor('new policy cached', () => engine.evaluate(request).length === 2, 10_000);

      await core.patchNamespace({ name: 'shop', body: [{ op: 'replace', path: '/metadata/labels/env', value: 'dev' }] });
      await waitFor('namespace relabel seen', () => engine.evaluate(request).map((v) => v.policy).join() === 'engines', 10_000);

      await objects.deleteClusterCustomObject({ group: 'redwing.dev', version: 'v1alpha1', plural: 'kvpolicies', name: 'engines' });
      await waitFor('deleted policy dropped', () => engine.evaluate(request).length === 0, 10_000);
      assert.deepEqual(engine.listPolicies().map((p) => p.metadata.name), ['tls']);

      // The samples are valid against the CRD, and reach the engine unchanged (nothing pruned).
      for (const path of SAMPLES) await postJson(sandbox.server, '/apis/redwing.dev/v1alpha1/kvpolicies', YAML.parse(readFileSync(path, 'utf8')));
      await waitFor('samples cached', () => engine.listPolicies().length === 4, 10_000);
      for (const sample of loadPolicyFiles(SAMPLES)) {
        assert.deepEqual(engine.listPolicies().find((p) => p.metadata.name === sample.metadata.name)?.spec, sample.spec);
      }
    } finally {
      await sources.stop();
    }
  });
});
