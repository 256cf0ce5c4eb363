/**
 * Leader election and namespace claims against the sandbox API server (real HTTP, real watches): of two
 * reconcilers only one acts, the standby takes over after the leader stops, and a cluster-wide reconciler leaves
 * a claimed namespace to the namespaced one.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { useTestApiServer } from '../../helpers/api-server.js';
import { identityFromManifests } from '../../helpers/manifest-identity.js';
import { runReconciler, LEADER_LEASE_NAME, type RunningReconciler } from '../../../reconciler/controller/main.js';
import { KubeClient } from '../../../kube/client.js';
import { paths } from '../../../kube/paths.js';
import { NAMESPACE_CLAIM_LEASE } from '../../../reconciler/controller/namespace-claim.js';
import type { LeaseObject } from '../../../kube/leader-election.js';
import { installCrds, kvstore, waitFor } from './e2e-helpers.js';

const silent = pino({ level: 'silent' });

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Who touched the store: the reconciler that adds the finalizer and writes status is the one acting. */
async function finalizerOf(client: KubeClient, namespace: string, name: string): Promise<boolean> {
  const store = await client.get<{ metadata: { finalizers?: string[] } }>(paths.kvstore(namespace, name));
  return (store.metadata.finalizers ?? []).includes('redwing.dev/pvc-retention');
}

describe('leader election and namespace claims', { timeout: 120_000 }, () => {
  let client: KubeClient;
  /** the reconcilers run as their ServiceAccount, with the roles of manifests/rbac/reconciler.yaml */
  let reconcilerKubeConfig: KubeConfig;
  const running: RunningReconciler[] = [];
  // Registered before the API server's hooks: reconcilers and the client stop while it still answers.
  after(async () => {
    for (const reconciler of running) await reconciler.stop();
    client?.close();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-leader-' });

  before(async () => {
    client = new KubeClient(api.kubeConfig);
    await installCrds(client);
    await createNamespace(client, 'team-a');
    reconcilerKubeConfig = await identityFromManifests(api.kubeConfig, 'reconciler');
  });

  async function start(options: { namespace?: string; leaderElect: boolean; identity: string }): Promise<RunningReconciler> {
    const reconciler = await runReconciler({
      kubeConfig: reconcilerKubeConfig, metricsPort: 0, logger: silent, leaseDurationSeconds: 2, operatorNamespace: 'redwing-system', ...options,
    });
    running.push(reconciler);
    return reconciler;
  }

  it('only one of two reconcilers leads; the standby takes over after the leader stops and releases', async () => {
    const first = await start({ leaderElect: true, identity: 'first' });
    await waitFor('first to lead', () => first.isLeader(), 10_000, 50);
    const second = await start({ leaderElect: true, identity: 'second' });
    // Give the standby several retry periods: it must stay a standby while the leader renews.
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      assert.equal(second.isLeader(), false, 'the standby never acts while the leader renews');
      assert.equal(first.isLeader(), true);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lease = await client.get<LeaseObject>(paths.lease('redwing-system', LEADER_LEASE_NAME));
    assert.equal(lease.spec?.holderIdentity, 'first');

    await client.create(paths.kvstores('default'), kvstore('led', { replicas: 1 }));
    await waitFor('the leader to reconcile the store', () => finalizerOf(client, 'default', 'led'), 10_000, 100);

    await first.stop();
    const released = await client.get<LeaseObject>(paths.lease('redwing-system', LEADER_LEASE_NAME));
    assert.ok(!released.spec?.holderIdentity, 'the lease is released on shutdown');
    await waitFor('second to take over', () => second.isLeader(), 5_000, 50);
    const taken = await client.get<LeaseObject>(paths.lease('redwing-system', LEADER_LEASE_NAME));
    assert.equal(taken.spec?.holderIdentity, 'second');
    assert.equal((taken.spec?.leaseTransitions ?? 0) >= 1, true);
    await second.stop();
  });

  it('a standby takes over a lease whose holder died without releasing it, after the lease duration', async () => {
    // A holder that vanished: its lease stays held and is never renewed.
    await client.delete(paths.lease('redwing-system', LEADER_LEASE_NAME));
    await client.create(paths.leases('redwing-system'), {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEADER_LEASE_NAME, namespace: 'redwing-system' },
      spec: { holderIdentity: 'crashed', leaseDurationSeconds: 2, renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
    const standby = await start({ leaderElect: true, identity: 'standby' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(standby.isLeader(), false, 'not before the lease expires');
    await waitFor('the standby to take over the expired lease', () => standby.isLeader(), 8_000, 50);
    await standby.stop();
  });

  it('a cluster-wide reconciler leaves a namespace claimed by a namespaced one alone', async () => {
    const namespaced = await start({ namespace: 'team-a', leaderElect: false, identity: 'team-a-reconciler' });
    await waitFor('the namespace claim', () => namespaced.isLeader(), 10_000, 50);
    const claim = await client.get<LeaseObject>(paths.lease('team-a', NAMESPACE_CLAIM_LEASE));
    assert.equal(claim.spec?.holderIdentity, 'team-a-reconciler');
    const clusterWide = await start({ leaderElect: false, identity: 'cluster-wide' });
    assert.equal(clusterWide.isLeader(), true);

    // The claim watcher must have seen the claim before stores show up in team-a.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await namespaced.stop();
    // With the namespaced reconciler gone but its claim released, the cluster-wide one takes team-a over.
    await client.create(paths.kvstores('team-a'), kvstore('after-release', { replicas: 1 }, 'team-a'));
    await waitFor('the cluster-wide reconciler to act once the claim is released', () => finalizerOf(client, 'team-a', 'after-release'), 10_000, 100);

    // A live claim again (held by an identity that is not running): the cluster-wide reconciler must not act.
    await client.patch(paths.lease('team-a', NAMESPACE_CLAIM_LEASE), {
      spec: { holderIdentity: 'someone-else', leaseDurationSeconds: 30, renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.create(paths.kvstores('team-a'), kvstore('claimed', { replicas: 1 }, 'team-a'));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(await finalizerOf(client, 'team-a', 'claimed'), false, 'a store in a claimed namespace is not touched');
    // Stores elsewhere still are.
    await client.create(paths.kvstores('default'), kvstore('unclaimed', { replicas: 1 }));
    await waitFor('the cluster-wide reconciler to act outside the claimed namespace', () => finalizerOf(client, 'default', 'unclaimed'), 10_000, 100);
    await clusterWide.stop();
  });
});
