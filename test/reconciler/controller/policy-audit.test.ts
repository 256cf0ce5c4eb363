/** The reconciler's policy audit loop (fed from its informers, writing through kube/client.ts) on the sandbox API server. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KVPolicy } from '../../../shared/schema/kvpolicy.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import type { Informer } from '../../../kube/informer.js';
import { ListWatchInformer } from '../../../kube/list-watch-informer.js';
import { KubeClient } from '../../../kube/client.js';
import { paths } from '../../../kube/paths.js';
import { auditWithoutPolicies, startPolicyAuditLoop, type PolicyAuditLoop } from '../../../reconciler/controller/policy-audit.js';
import { auditStores } from '../../../policy/audit.js';
import { startPolicySandbox, type PolicySandbox } from '../../webhook/policy/sandbox-helpers.js';
import { identityFromManifests } from '../../helpers/manifest-identity.js';
import { pino } from 'pino';
import { waitFor } from '../../../harness/wait-for.js';

const silentLogger = pino({ level: 'silent' });
const POLICIES = '/apis/redwing.dev/v1alpha1/kvpolicies';

describe('audit without policies', () => {
  it('equals the policy engine run with no policy (so the engine need not be loaded)', () => {
    const store = (namespace: string, name: string, extra: Record<string, unknown> = {}): KVStore =>
      ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { namespace, name, generation: 3, ...extra }, spec: { replicas: 1 } }) as KVStore;
    const stores = [store('b', 'x'), store('a', 'z'), store('a', 'gone', { deletionTimestamp: '2026-01-01T00:00:00Z' }), store('a', 'y')];
    assert.deepEqual(auditWithoutPolicies(stores), auditStores([], stores, new Map()));
  });
});

describe('reconciler policy audit loop on the sandbox API server', () => {
  let sandbox: PolicySandbox;
  let client: KubeClient;
  /** the reconciler's own identity (manifests/rbac/reconciler.yaml): the audit reads and writes only through it */
  let reconcilerClient: KubeClient;
  let stores: Informer;
  const loops: PolicyAuditLoop[] = [];

  const getPolicy = (name: string) => client.get<KVPolicy>(`${POLICIES}/${name}`);
  const compliantCondition = async (namespace: string, name: string) =>
    (await client.get<KVStore>(paths.kvstore(namespace, name))).status?.conditions?.find((c) => c.type === 'PolicyCompliant');
  const start = (options: Partial<Parameters<typeof startPolicyAuditLoop>[0]> = {}) => {
    const loop = startPolicyAuditLoop({ client: reconcilerClient, stores, isLeader: () => true, logger: silentLogger, ...options });
    loops.push(loop);
    return loop;
  };

  before(async () => {
    sandbox = await startPolicySandbox();
    client = new KubeClient(sandbox.kubeConfig);
    await client.create('/api/v1/namespaces', { metadata: { name: 'shop', labels: { env: 'production' } } });
    await client.create('/api/v1/namespaces', { metadata: { name: 'lab' } });
    const createStore = (namespace: string, name: string, spec: Record<string, unknown>) =>
      client.create(paths.kvstores(namespace), { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name }, spec });
    await createStore('shop', 'orders', { replicas: 3, tls: { enabled: true } });
    await createStore('shop', 'sessions', { replicas: 3 });
    await createStore('lab', 'scratch', { replicas: 1 });
    // Another writer's condition on "sessions": the audit must keep it.
    await client.patch(`${paths.kvstore('shop', 'sessions')}/status`, {
      status: { phase: 'Ready', conditions: [{ type: 'Available', status: 'True', reason: 'AllReady', message: '3/3', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    });
    const createPolicy = (name: string, spec: Record<string, unknown>) =>
      client.create(POLICIES, { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec });
    await createPolicy('prod-tls', { enforcement: 'Audit', match: { namespaceSelector: { matchLabels: { env: 'production' } } }, rules: { requireTLS: true } });
    await createPolicy('min-replicas', { enforcement: 'Warn', rules: { minReplicas: 2 } });
    reconcilerClient = new KubeClient(await identityFromManifests(sandbox.kubeConfig, 'reconciler'));
    stores = new ListWatchInformer(reconcilerClient, { name: 'kvstores', path: paths.kvstores() });
    await stores.start();
  });

  after(async () => {
    for (const loop of loops) await loop.stop();
    stores?.stop();
    reconcilerClient?.close();
    client?.close();
    await sandbox?.close();
  });

  it('does nothing unless leader', async () => {
    const loop = start({ isLeader: () => false });
    await loop.started;
    assert.equal((await loop.runOnce()).skipped, true);
    assert.equal((await getPolicy('prod-tls')).status, undefined);
    assert.equal(await compliantCondition('shop', 'sessions'), undefined);
    await loop.stop();
  });

  it('writes policy statuses and PolicyCompliant conditions from the caches, preserving other conditions', async () => {
    const loop = start({ now: () => new Date('2026-03-04T05:06:07Z'), periodMs: 3_600_000, debounceMs: 3_600_000 });
    await loop.started;
    const summary = await loop.runOnce();
    assert.deepEqual({ ...summary }, { skipped: false, policies: 2, stores: 3, policyStatusWrites: 2, conditionWrites: 3, errors: 0 });
    assert.deepEqual((await getPolicy('prod-tls')).status, { violations: 1, offenders: ['shop/sessions: spec.tls.enabled must be true (rule requireTLS)'], lastAuditTime: '2026-03-04T05:06:07Z' });
    const sessions = await client.get<KVStore>(paths.kvstore('shop', 'sessions'));
    assert.deepEqual(sessions.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Available=True', 'PolicyCompliant=False']);
    assert.equal((await compliantCondition('shop', 'orders'))?.status, 'True');
    // The informer sees the written conditions; a second run finds nothing to change.
    await waitFor('conditions cached', async () => stores.list().every((store) => (store as KVStore).status?.conditions?.some((c) => c.type === 'PolicyCompliant')), 10_000);
    assert.equal((await loop.runOnce()).conditionWrites, 0, 'unchanged conditions are not rewritten');
    await loop.stop();
  });

  it('re-audits on store spec, policy and namespace label changes', async () => {
    start({ debounceMs: 50 });
    await client.patch(paths.kvstore('shop', 'sessions'), { spec: { tls: { enabled: true } } });
    await waitFor('sessions compliant', async () => (await compliantCondition('shop', 'sessions'))?.status === 'True', 15_000);
    await client.patch(`${POLICIES}/min-replicas`, { spec: { rules: { minReplicas: 5 } } });
    await waitFor('orders non-compliant', async () => (await compliantCondition('shop', 'orders'))?.status === 'False', 15_000);
    await client.patch('/api/v1/namespaces/lab', { metadata: { labels: { env: 'production' } } });
    await waitFor('namespace relabel audited', async () => (await getPolicy('prod-tls')).status?.offenders?.join() === 'lab/scratch: spec.tls.enabled must be true (rule requireTLS)', 15_000);
  });
});
