/**
 * End to end on the sandbox with real redis-server pods: the password Secret changes while no reconciler runs.
 * A new reconciler (nothing in memory) must still rotate the pods live, from the password it recorded before
 * (Secret `<store>-auth-current`): the pods then accept the new password and refuse the old, no pod restarted,
 * data intact and replication flowing.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { runReconciler, type RunningReconciler } from '../../../reconciler/controller/main.js';
import { paths } from '../../../kube/paths.js';
import {
  kvstore, redisCommand, startE2eCluster, storePassword, waitFor, waitForPasswordRotated, type E2eCluster, type PodInfo, waitStoreReady,
} from './e2e-helpers.js';

const silent = pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' });

describe('reconciler end to end: password changed while the reconciler was down', { timeout: 600_000 }, () => {
  let cluster: E2eCluster;
  let reconciler: RunningReconciler | undefined;

  before(async () => {
    cluster = await startE2eCluster();
  });

  after(async () => {
    await reconciler?.stop();
    await cluster?.stop();
  });

  const start = () => runReconciler({ kubeConfig: cluster.reconcilerKubeConfig, metricsPort: 0, leaderElect: false, logger: silent, policyAudit: false });

  const waitReady = (name: string, replicas: number): Promise<PodInfo[]> => waitStoreReady(cluster.client, name, replicas, { allPodsReady: true });

  async function podIdentities(name: string): Promise<Record<string, string>> {
    const list = await cluster.client.list<{ metadata: { name: string; uid: string }; status?: { containerStatuses?: Array<{ restartCount: number }> } }>(
      paths.core('pods', 'default'), `app.kubernetes.io/instance=${name}`,
    );
    return Object.fromEntries(list.items.map((pod) => [pod.metadata.name, `${pod.metadata.uid}/${pod.status?.containerStatuses?.[0]?.restartCount ?? 0}`]));
  }

  async function recorded(name: string): Promise<{ password?: string; previous?: string }> {
    const secret = await cluster.client.getOptional<{ data?: Record<string, string> }>(paths.coreObject('secrets', 'default', `${name}-auth-current`));
    const decode = (value: string | undefined) => value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    return { password: decode(secret?.data?.password), previous: decode(secret?.data?.previous) };
  }

  it('rotates live after a restart: new password accepted, old refused, same pods, data intact', async () => {
    reconciler = await start();
    await cluster.client.create(paths.kvstores('default'), kvstore('pw', { replicas: 3 }));
    const pods = await waitReady('pw', 3);
    const oldPassword = await storePassword(cluster.client, 'pw');
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.equal(await redisCommand(master.ip!, oldPassword, 'SET', 'kept', 'before-restart'), 'OK');
    await waitFor('the operator to record the password the pods accept', async () => (await recorded('pw')).password === oldPassword, 30_000);

    await reconciler.stop();
    reconciler = undefined;
    const newPassword = 'changed-while-down-0123456789';
    await cluster.client.patch(paths.coreObject('secrets', 'default', 'pw-auth'), { data: { password: Buffer.from(newPassword).toString('base64') } });
    const before = await podIdentities('pw');
    // With no reconciler, nothing rotates: the pods still run on the old password.
    assert.equal(await redisCommand(master.ip!, oldPassword, 'PING'), 'PONG');
    await assert.rejects(redisCommand(master.ip!, newPassword, 'PING'), /WRONGPASS|invalid|NOAUTH|closed/i);

    reconciler = await start();
    for (const pod of pods) await waitForPasswordRotated(pod.ip!, newPassword, oldPassword, 60_000);
    assert.deepEqual(await podIdentities('pw'), before, 'no pod was restarted or replaced');
    for (const pod of pods) {
      assert.equal(await redisCommand(pod.ip!, newPassword, 'GET', 'kept'), 'before-restart', `data intact on ${pod.name}`);
    }
    // Replicas re-authenticate to the master with the new masterauth: a new write still reaches them.
    assert.equal(await redisCommand(master.ip!, newPassword, 'SET', 'after', 'rotation'), 'OK');
    for (const pod of pods.filter((candidate) => candidate.role === 'replica')) {
      await waitFor(`replication to ${pod.name}`, async () => (await redisCommand(pod.ip!, newPassword, 'GET', 'after')) === 'rotation', 30_000);
    }
    await waitFor('the record to follow the rotation', async () => {
      const record = await recorded('pw');
      return record.password === newPassword && record.previous === oldPassword;
    }, 30_000);
    await waitReady('pw', 3);
  });
});
