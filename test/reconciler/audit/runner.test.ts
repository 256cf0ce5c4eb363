import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KVPolicy } from '../../../shared/schema/kvpolicy.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { startPolicyAudit, type PolicyAudit } from '../../../reconciler/audit/runner.js';
import { startPolicySandbox, waitFor, type PolicySandbox } from '../../webhook/policy/sandbox-helpers.js';

const GROUP = { group: 'redwing.dev', version: 'v1alpha1' };

describe('policy audit on the sandbox API server', () => {
  let sandbox: PolicySandbox;
  let objects: CustomObjectsApi;
  const audits: PolicyAudit[] = [];

  const getPolicy = async (name: string): Promise<KVPolicy> =>
    objects.getClusterCustomObject({ ...GROUP, plural: 'kvpolicies', name }) as Promise<KVPolicy>;
  const getStore = async (namespace: string, name: string): Promise<KVStore> =>
    objects.getNamespacedCustomObject({ ...GROUP, plural: 'kvstores', namespace, name }) as Promise<KVStore>;
  const compliantCondition = async (namespace: string, name: string) =>
    (await getStore(namespace, name)).status?.conditions?.find((c) => c.type === 'PolicyCompliant');

  before(async () => {
    sandbox = await startPolicySandbox();
    objects = sandbox.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = sandbox.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop', labels: { env: 'production' } } } });
    await core.createNamespace({ body: { metadata: { name: 'lab' } } });
    const createStore = (namespace: string, name: string, spec: Record<string, unknown>) =>
      objects.createNamespacedCustomObject({ ...GROUP, plural: 'kvstores', namespace, body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name }, spec } });
    await createStore('shop', 'orders', { replicas: 3, tls: { enabled: true } });
    await createStore('shop', 'sessions', { replicas: 3 });
    await createStore('lab', 'scratch', { replicas: 1 });
    // Another writer's condition on "sessions": the audit must keep it.
    await objects.patchNamespacedCustomObjectStatus({
      ...GROUP, plural: 'kvstores', namespace: 'shop', name: 'sessions',
      body: { status: { phase: 'Ready', conditions: [{ type: 'Available', status: 'True', reason: 'AllReady', message: '3/3', lastTransitionTime: '2026-01-01T00:00:00Z' }] } },
    }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const createPolicy = (name: string, spec: Record<string, unknown>) =>
      objects.createClusterCustomObject({ ...GROUP, plural: 'kvpolicies', body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec } });
    await createPolicy('prod-tls', { enforcement: 'Audit', match: { namespaceSelector: { matchLabels: { env: 'production' } } }, rules: { requireTLS: true } });
    await createPolicy('min-replicas', { enforcement: 'Warn', rules: { minReplicas: 2 } });
  });

  after(async () => {
    for (const audit of audits) await audit.stop();
    await sandbox?.close();
  });

  it('does nothing unless leader', async () => {
    const audit = startPolicyAudit({ kubeConfig: sandbox.kubeConfig, isLeader: () => false, watchChanges: false });
    audits.push(audit);
    const summary = await audit.runOnce();
    assert.equal(summary.skipped, true);
    assert.equal((await getPolicy('prod-tls')).status, undefined);
    assert.equal(await compliantCondition('shop', 'sessions'), undefined);
  });

  it('writes policy statuses and PolicyCompliant conditions, preserving other conditions', async () => {
    const audit = startPolicyAudit({ kubeConfig: sandbox.kubeConfig, watchChanges: false, now: () => new Date('2026-03-04T05:06:07Z') });
    audits.push(audit);
    const summary = await audit.runOnce();
    assert.deepEqual({ ...summary }, { skipped: false, policies: 2, stores: 3, nonCompliantStores: 2, policyStatusWrites: 2, conditionWrites: 3, errors: 0 });

    const tls = await getPolicy('prod-tls');
    assert.deepEqual(tls.status, { violations: 1, offenders: ['shop/sessions: spec.tls.enabled must be true (rule requireTLS)'], lastAuditTime: '2026-03-04T05:06:07Z' });
    assert.deepEqual((await getPolicy('min-replicas')).status?.offenders, ['lab/scratch: spec.replicas is 1; must be at least 2 (rule minReplicas)']);

    const sessions = await getStore('shop', 'sessions');
    assert.deepEqual(sessions.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Available=True', 'PolicyCompliant=False']);
    assert.equal(sessions.status?.phase, 'Ready');
    assert.match(sessions.status!.conditions![1]!.message, /KVPolicy "prod-tls": spec.tls.enabled must be true/);
    const orders = await compliantCondition('shop', 'orders');
    assert.equal(orders?.status, 'True');
    assert.equal(orders?.message, 'complies with KVPolicies min-replicas, prod-tls');

    const again = await audit.runOnce();
    assert.equal(again.conditionWrites, 0, 'unchanged conditions are not rewritten');
  });

  it('re-audits on store, policy and namespace changes', async () => {
    const audit = startPolicyAudit({ kubeConfig: sandbox.kubeConfig, debounceMs: 50 });
    audits.push(audit);
    await objects.patchNamespacedCustomObject({
      ...GROUP, plural: 'kvstores', namespace: 'shop', name: 'sessions', body: { spec: { tls: { enabled: true } } },
    }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(async () => (await compliantCondition('shop', 'sessions'))?.status === 'True', 15_000, 'sessions compliant');
    await waitFor(async () => (await getPolicy('prod-tls')).status?.violations === 0, 15_000, 'prod-tls has no violations');

    await objects.patchClusterCustomObject({
      ...GROUP, plural: 'kvpolicies', name: 'min-replicas', body: { spec: { rules: { minReplicas: 5 } } },
    }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(async () => (await getPolicy('min-replicas')).status?.violations === 3, 15_000, 'min-replicas re-audited');
    // Store conditions are written after the policy statuses, in the same run.
    await waitFor(async () => (await compliantCondition('shop', 'orders'))?.status === 'False', 15_000, 'orders non-compliant');
    assert.match((await compliantCondition('shop', 'orders'))!.message, /spec.replicas is 3; must be at least 5/);

    // A namespace relabel brings lab/scratch under prod-tls.
    await sandbox.kubeConfig.makeApiClient(CoreV1Api).patchNamespace({ name: 'lab', body: [{ op: 'add', path: '/metadata/labels/env', value: 'production' }] });
    await waitFor(async () => (await getPolicy('prod-tls')).status?.offenders?.join() === 'lab/scratch: spec.tls.enabled must be true (rule requireTLS)', 15_000, 'namespace relabel audited');
  });

  it('a new leader audits soon after it takes over', async () => {
    for (const audit of audits.splice(0)) await audit.stop();
    let leader = false;
    const audit = startPolicyAudit({ kubeConfig: sandbox.kubeConfig, isLeader: () => leader, watchChanges: false, leaderPollMs: 20, debounceMs: 10 });
    audits.push(audit);
    await objects.deleteClusterCustomObject({ ...GROUP, plural: 'kvpolicies', name: 'min-replicas' });
    assert.equal((await compliantCondition('shop', 'orders'))?.status, 'False', 'nobody has re-audited yet');
    leader = true;
    await waitFor(async () => (await compliantCondition('shop', 'orders'))?.status === 'True', 15_000, 'audit after gaining leadership');
  });
});
