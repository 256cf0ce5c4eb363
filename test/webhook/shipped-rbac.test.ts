/**
 * The webhook in cluster mode under its ServiceAccount, with exactly the roles of manifests/rbac/webhook.yaml, on the
 * sandbox (which enforces RBAC): it creates its certificate Secret, injects its CA into the shipped webhook
 * configurations and caches policies. The role stays least-privilege: what it does not need is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, AuthorizationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { applyObject } from '../../reconciler/apply/index.js';
import { createLogger } from '../../shared/logger.js';
import { runWebhook, type RunningWebhook } from '../../webhook/main.js';
import { createPolicyEngine } from '../../policy/engine.js';
import { watchPolicySources, type PolicySources } from '../../webhook/policy/sources.js';
import { identityFromManifests } from '../helpers/manifest-identity.js';
import { waitFor } from '../../harness/wait-for.js';
import { postJson, startPolicySandbox, type PolicySandbox } from './policy/sandbox-helpers.js';

const CONFIGURATIONS = new URL('../../manifests/webhook/webhook-configurations.yaml', import.meta.url);

describe('the webhook under its shipped ServiceAccount roles', () => {
  let sandbox: PolicySandbox;
  let identity: KubeConfig;
  let webhook: RunningWebhook | undefined;
  let sources: PolicySources | undefined;
  const engine = createPolicyEngine();
  const logger = createLogger('shipped-rbac-test', { level: 'silent' });

  before(async () => {
    sandbox = await startPolicySandbox();
    // the policy first: once the configurations exist, KVPolicy writes go through the (not yet reachable) webhook
    await postJson(sandbox.server, '/apis/redwing.dev/v1alpha1/kvpolicies', { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name: 'max-three' }, spec: { rules: { maxReplicas: 3 } } });
    for (const document of parseAllDocuments(readFileSync(CONFIGURATIONS, 'utf8'))) {
      const configuration = document.toJS() as KubernetesObject | null;
      if (configuration) await applyObject(sandbox.kubeConfig, configuration);
    }
    identity = await identityFromManifests(sandbox.kubeConfig, 'webhook');
  });

  after(async () => {
    await sources?.stop();
    await webhook?.stop();
    await sandbox?.close();
  });

  it('creates its Secret, injects its CA into both configurations and caches the policies', async () => {
    webhook = await runWebhook({ port: 0, metricsPort: 0, namespace: 'redwing-system', service: 'redwing-webhook', host: '127.0.0.1', kubeConfig: identity, policy: engine, logger });
    sources = watchPolicySources(engine, identity, { logger });
    await sources.synced;
    assert.deepEqual(engine.listPolicies().map((p) => p.metadata?.name), ['max-three']);
    const admission = sandbox.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await waitFor('the CA bundle in every webhook', async () => {
      const mutating = await admission.readMutatingWebhookConfiguration({ name: 'redwing-webhook' });
      const validating = await admission.readValidatingWebhookConfiguration({ name: 'redwing-webhook' });
      return [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])].every((w) => (w.clientConfig.caBundle ?? '') !== '');
    }, 20_000);
    const secret = await sandbox.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: 'redwing-system', name: 'redwing-webhook-tls' });
    assert.ok(secret.data?.['tls.crt']);
  });

  it('is refused what it does not need: other Secrets, writes to namespaces, status, other configurations', async () => {
    const reviews = identity.makeApiClient(AuthorizationV1Api);
    const can = async (resourceAttributes: Record<string, string>): Promise<boolean> =>
      (await reviews.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } })).status?.allowed ?? false;
    assert.equal(await can({ verb: 'get', resource: 'secrets', namespace: 'redwing-system', name: 'redwing-webhook-tls' }), true);
    assert.equal(await can({ verb: 'get', resource: 'secrets', namespace: 'redwing-system', name: 'other' }), false);
    assert.equal(await can({ verb: 'list', resource: 'secrets', namespace: 'default' }), false);
    assert.equal(await can({ verb: 'patch', resource: 'namespaces', name: 'default' }), false);
    assert.equal(await can({ verb: 'patch', group: 'redwing.dev', resource: 'kvpolicies', subresource: 'status', name: 'max-three' }), false);
    assert.equal(await can({ verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', name: 'someone-else' }), false);
    assert.equal(await can({ verb: 'update', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', name: 'redwing-webhook' }), true);
  });
});
