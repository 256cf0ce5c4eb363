/**
 * Secret access granted namespace by namespace (manifests/rbac/reconciler.yaml): with the cluster-wide binding of
 * redwing-reconciler-secrets replaced by RoleBindings, the reconciler (run as its ServiceAccount, under the sandbox's
 * RBAC) serves stores where it may read Secrets, says what to bind where it may not (a ReconcileFailed Event and the
 * Reconciled=False condition), and proceeds once bound (Reconciled=True again).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { paths } from '../../../kube/paths.js';
import { runReconciler, type RunningReconciler } from '../../../reconciler/controller/main.js';
import { getStore, kvstore, startE2eCluster, waitFor, type E2eCluster } from './e2e-helpers.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

function secretsRoleBinding(namespace: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: 'redwing-reconciler-secrets', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'redwing-reconciler-secrets' },
    subjects: [{ kind: 'ServiceAccount', name: 'redwing-reconciler', namespace: 'redwing-system' }],
  };
}

describe('reconciler end to end: Secret access granted per namespace', { timeout: 300_000 }, () => {
  let cluster: E2eCluster;
  let reconciler: RunningReconciler | undefined;

  before(async () => {
    // The refusals in team-b are the point of the test; any other refusal still fails it.
    cluster = await startE2eCluster({ expectedRefusals: /secrets in namespace "team-b"$/ });
    await cluster.client.delete(`${RBAC}/clusterrolebindings/redwing-reconciler-secrets`);
    for (const namespace of ['team-a', 'team-b']) {
      await cluster.client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    }
    // redwing-system holds the store CA.
    for (const namespace of ['redwing-system', 'team-a']) {
      await cluster.client.create(`${RBAC}/namespaces/${namespace}/rolebindings`, secretsRoleBinding(namespace));
    }
    reconciler = await runReconciler({
      kubeConfig: cluster.reconcilerKubeConfig, metricsPort: 0, leaderElect: false,
      logger: pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' }),
    });
  });

  after(async () => {
    await reconciler?.stop();
    await cluster?.stop();
  });

  const ready = (namespace: string, name: string) => waitFor(`${namespace}/${name} Ready`, async () => {
    const store = await getStore(cluster.client, name, namespace);
    return store.status?.phase === 'Ready' && store.status.master !== undefined ? store : undefined;
  }, 120_000);

  it('serves a store in a namespace where it may read Secrets: its password Secret made, a master elected', async () => {
    await cluster.client.create(paths.kvstores('team-a'), kvstore('cache', { replicas: 1 }, 'team-a'));
    const store = await ready('team-a', 'cache');
    assert.equal(store.status?.master, 'cache-0');
    const secret = await cluster.client.getOptional(paths.coreObject('secrets', 'team-a', 'cache-auth'));
    assert.ok(secret, 'the password Secret exists');
  });

  it('a store where it may not fails with a ReconcileFailed Event naming the binding to create, and gets no pods', async () => {
    await cluster.client.create(paths.kvstores('team-b'), kvstore('cache', { replicas: 1 }, 'team-b'));
    const event = await waitFor('a ReconcileFailed Event in team-b', async () => {
      const events = await cluster.client.list<{ reason?: string; message?: string; involvedObject?: { name?: string } }>(paths.core('events', 'team-b'));
      return events.items.find((item) => item.reason === 'ReconcileFailed' && item.involvedObject?.name === 'cache');
    }, 60_000);
    assert.match(event.message ?? '', /may not read Secrets in namespace team-b: grant them with kubectl -n team-b create rolebinding redwing-reconciler-secrets --clusterrole=redwing-reconciler-secrets/);
    const statefulSet = await cluster.client.getOptional(`${paths.statefulSets('team-b')}/cache`);
    assert.equal(statefulSet, undefined, 'nothing is built before the Secrets can be read');
    // The same failure on the store itself, for kubectl get -o yaml and kubectl wait.
    const failed = await waitFor('Reconciled=False on team-b/cache', async () => {
      const store = await getStore(cluster.client, 'cache', 'team-b');
      return store.status?.conditions?.find((condition) => condition.type === 'Reconciled' && condition.status === 'False');
    }, 30_000);
    assert.equal(failed.reason, 'SecretsFailed');
    assert.match(failed.message, /may not read Secrets in namespace team-b/);
    assert.equal(failed.observedGeneration, 1);
  });

  it('once bound there, the same store proceeds without a restart of the reconciler', async () => {
    await cluster.client.create(`${RBAC}/namespaces/team-b/rolebindings`, secretsRoleBinding('team-b'));
    const store = await ready('team-b', 'cache');
    assert.equal(store.status?.master, 'cache-0');
    const reconciled = store.status?.conditions?.find((condition) => condition.type === 'Reconciled');
    assert.equal(reconciled?.status, 'True', 'the failure shown on the store is cleared by the next successful reconcile');
    assert.equal(reconciled?.reason, 'ReconcileSucceeded');
  });
});
