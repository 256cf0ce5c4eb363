// manifests/{rbac,reconciler,webhook,samples}: valid Kubernetes objects, the webhook contract of the brief, RBAC that
// covers what the reconciler does and nothing broad, and the samples admitted by the webhook's validation and by the
// CRD schema of the sandbox API server.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubernetesObject, V1Deployment, V1PolicyRule } from '@kubernetes/client-node';
import { RECONCILER_NODE_FLAGS } from '../../../cli/reconciler-node-flags.js';
import YAML from 'yaml';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { validateKVStore } from '../../../webhook/validate-kvstore.js';
import { buildDesiredObjects } from '../../../reconciler/desired/index.js';
import { applyObject, deleteObjectIfExists, readObject } from '../../../reconciler/apply/index.js';
import { validateKubernetesObject } from '../desired/schema-validation.js';
import { useTestApiServer } from '../../helpers/api-server.js';

const ROOT = new URL('../../../manifests/', import.meta.url).pathname;

function load(folder: string, prefix = ''): KubernetesObject[] {
  const dir = join(ROOT, folder);
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.yaml')).sort()
    .flatMap((file) => YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as KubernetesObject))
    .filter((object) => object !== null);
}

const operatorObjects = [...load('rbac'), ...load('reconciler'), ...load('webhook')];
const find = <T extends KubernetesObject>(kind: string, name: string): T => {
  const found = operatorObjects.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found as T;
};

function allows(rules: V1PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some((rule) => (rule.apiGroups ?? []).includes(group) && (rule.resources ?? []).includes(resource)
    && rule.verbs.includes(verb) && !rule.resourceNames);
}

describe('operator manifests', () => {
  it('are valid Kubernetes objects', () => {
    assert.ok(operatorObjects.length >= 15);
    for (const object of operatorObjects) validateKubernetesObject(object);
  });

  it('webhook configurations follow the contract', () => {
    type Hook = { name: string; sideEffects: string; failurePolicy: string; timeoutSeconds: number; clientConfig: { service: { namespace: string; name: string; port: number; path: string } } };
    const mutating = find<KubernetesObject & { webhooks: Hook[] }>('MutatingWebhookConfiguration', 'redwing-webhook');
    const validating = find<KubernetesObject & { webhooks: Hook[] }>('ValidatingWebhookConfiguration', 'redwing-webhook');
    const hooks = [...mutating.webhooks, ...validating.webhooks];
    assert.deepEqual(hooks.map((h) => `${h.name} ${h.clientConfig.service.path}`), [
      'mutate.kvstore.redwing.dev /mutate/kvstore', 'validate.kvstore.redwing.dev /validate/kvstore', 'validate.kvpolicy.redwing.dev /validate/kvpolicy',
    ]);
    for (const hook of hooks) {
      assert.equal(hook.sideEffects, 'None');
      assert.equal(hook.failurePolicy, 'Fail');
      assert.equal(hook.timeoutSeconds, 5);
      assert.deepEqual({ ...hook.clientConfig.service, path: undefined }, { namespace: 'redwing-system', name: 'redwing-webhook', port: 443, path: undefined });
    }
    const service = find<KubernetesObject & { spec: { ports: Array<{ port: number; targetPort: string }> } }>('Service', 'redwing-webhook');
    const deployment = find<KubernetesObject & { spec: { template: { spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } } }>('Deployment', 'redwing-webhook');
    const https = service.spec.ports.find((p) => p.port === 443);
    assert.equal(deployment.spec.template.spec.containers[0]!.ports.find((p) => p.name === https?.targetPort)?.containerPort, 9443);
  });

  it('the reconciler runs compiled, with the V8 flags its RSS budget was measured with', () => {
    const deployment = find<V1Deployment>('Deployment', 'redwing-reconciler');
    const container = deployment.spec!.template.spec!.containers[0]!;
    assert.deepEqual(container.command, ['node', ...RECONCILER_NODE_FLAGS, 'bin/redwing.js']);
    assert.deepEqual(container.args, ['reconciler']);
    assert.equal(container.env?.find((variable) => variable.name === 'REDWING_RUN_FROM')?.value, 'dist');
  });

  it('the reconciler may do what it does, and nothing broad', () => {
    const rules = find<KubernetesObject & { rules: V1PolicyRule[] }>('ClusterRole', 'redwing-reconciler').rules;
    const needed: Array<[string, string, string[]]> = [
      ['redwing.dev', 'kvstores', ['get', 'list', 'watch', 'patch']],
      ['redwing.dev', 'kvstores/status', ['patch']],
      ['redwing.dev', 'kvstores/finalizers', ['update']],
      ['apps', 'statefulsets', ['list', 'watch', 'create', 'patch']],
      ['', 'services', ['create', 'patch', 'delete']],
      ['', 'configmaps', ['create', 'patch']],
      ['', 'pods', ['list', 'watch', 'patch', 'delete']],
      ['', 'persistentvolumeclaims', ['get', 'patch', 'delete']],
      ['policy', 'poddisruptionbudgets', ['create', 'patch', 'delete']],
      ['networking.k8s.io', 'networkpolicies', ['create', 'patch', 'delete']],
      ['', 'events', ['create']],
      ['coordination.k8s.io', 'leases', ['get', 'list', 'create', 'update']],
    ];
    for (const [group, resource, verbs] of needed) {
      for (const verb of verbs) assert.ok(allows(rules, group, resource, verb), `${verb} ${group}/${resource}`);
    }
    // Secrets have their own ClusterRole, so an admin can bind it per namespace instead of cluster-wide.
    assert.ok(!rules.some((rule) => (rule.resources ?? []).includes('secrets')), 'no Secret access in the main role');
    const secretRules = find<KubernetesObject & { rules: V1PolicyRule[] }>('ClusterRole', 'redwing-reconciler-secrets').rules;
    for (const verb of ['get', 'list', 'watch', 'create', 'patch']) assert.ok(allows(secretRules, '', 'secrets', verb), `${verb} secrets`);
    assert.deepEqual(secretRules.flatMap((rule) => rule.resources ?? []), ['secrets'], 'the Secret role grants Secrets only');
    for (const rule of rules) {
      assert.ok(!rule.verbs.includes('*') && !(rule.resources ?? []).includes('*') && !(rule.apiGroups ?? []).includes('*'), 'no wildcards');
      assert.ok(!(rule.resources ?? []).some((r) => /nodes|clusterroles|rolebindings|webhookconfigurations/.test(r)));
      // Namespaces are read (a KVPolicy's namespaceSelector), never written.
      if ((rule.resources ?? []).includes('namespaces')) assert.deepEqual([...rule.verbs].sort(), ['list', 'watch']);
    }
  });

  it('the webhook reaches Secrets only in its own namespace and writes only its own webhook configurations', () => {
    const clusterRules = find<KubernetesObject & { rules: V1PolicyRule[] }>('ClusterRole', 'redwing-webhook').rules;
    assert.ok(!clusterRules.some((r) => (r.resources ?? []).includes('secrets')));
    for (const rule of clusterRules.filter((r) => (r.resources ?? []).some((x) => x.endsWith('webhookconfigurations')))) {
      if (rule.verbs.some((v) => ['update', 'patch', 'create', 'delete'].includes(v))) assert.deepEqual(rule.resourceNames, ['redwing-webhook']);
    }
    const role = find<KubernetesObject & { rules: V1PolicyRule[] }>('Role', 'redwing-webhook');
    assert.equal(role.metadata?.namespace, 'redwing-system');
  });
});

describe('manifests on the sandbox API server', () => {
  const sandbox = useTestApiServer({ dirPrefix: 'redwing-manifests-' });

  it('accepts the operator objects it serves (namespace, accounts, Services, PDBs, webhook configurations)', async () => {
    const served = new Set(['Namespace', 'ServiceAccount', 'Service', 'PodDisruptionBudget', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    const objects = operatorObjects.filter((o) => served.has(o.kind!));
    assert.ok(objects.length >= 9);
    for (const object of objects) await applyObject(sandbox.kubeConfig, object);
  });

  it('admits both samples through the webhook rules and the CRD schema, and builds valid objects from them', async () => {
    // No webhook runs here (the previous test registered it): admission is checked with its pure rules instead.
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      await deleteObjectIfExists(sandbox.kubeConfig, { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: 'redwing-webhook' } });
    }
    for (const crd of load('crds')) await applyObject(sandbox.kubeConfig, crd);
    await applyObject(sandbox.kubeConfig, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const samples = load('samples', 'kvstore-') as KVStore[];
    assert.equal(samples.length, 2);
    for (const sample of samples) {
      const verdict = validateKVStore({ operation: 'CREATE', object: sample as unknown as Record<string, unknown> });
      assert.deepEqual(verdict.errors, [], sample.metadata.name);
      const object = { ...sample, metadata: { ...sample.metadata, namespace: sample.metadata.namespace ?? 'default' } };
      let stored: KVStore | undefined;
      for (let attempt = 0; attempt < 50 && !stored; attempt++) {
        try {
          stored = await applyObject(sandbox.kubeConfig, object);
        } catch (error) {
          // the CRD may take a moment to be served
          if (attempt === 49) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      assert.ok(stored?.metadata.uid);
      const live = await readObject<KVStore>(sandbox.kubeConfig, { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: object.metadata.name!, namespace: object.metadata.namespace } });
      for (const built of Object.values(buildDesiredObjects(live!))) validateKubernetesObject(built);
    }
  });
});
