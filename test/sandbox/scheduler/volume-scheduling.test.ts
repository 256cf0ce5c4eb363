// Scheduling with dynamic provisioning against a strict API server, as on a real cluster: the scheduler (as
// kube-scheduler), the PV controller (as kube-controller-manager's) and the node side's provisioner, with Nodes
// registered by hand and no kubelet. WaitForFirstConsumer: the scheduler picks a node and records it on the claim,
// the provisioner makes a PV there pre-bound to the claim, the PV controller binds it, and only then is the pod bound.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startControllers, type RunningControllers } from '../../../sandbox/controllers/index.js';
import { DEFAULT_STORAGE_CLASS, HostPathProvisioner, PROVISIONER_NAME } from '../../../sandbox/kubelet/hostpath-provisioner.js';
import { Scheduler } from '../../../sandbox/scheduler/scheduler.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { waitFor } from '../../../harness/wait-for.js';

const logger = pino({ level: 'silent' });
const ns = 'default';

describe('scheduler + PV controller + provisioner on a strict API server', () => {
  let controllers: RunningControllers | undefined;
  let scheduler: Scheduler | undefined;
  let provisioner: HostPathProvisioner | undefined;
  let core: CoreV1Api;
  after(async () => {
    provisioner?.stop();
    scheduler?.stop();
    await controllers?.stop();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-volume-scheduling-', strict: true });

  before(async () => {
    core = api.kubeConfig.makeApiClient(CoreV1Api);
    for (const [name, ready] of [['node-a', 'True'], ['node-b', 'True'], ['node-c', 'Unknown']] as const) {
      await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name } } } });
      await core.patchNodeStatus({ name, body: { status: { conditions: [{ type: 'Ready', status: ready, reason: 'Test' }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    provisioner = new HostPathProvisioner({ kc: api.kubeConfig, dir: api.dir, nodeNames: ['node-a', 'node-b'], logger });
    await provisioner.start();
    controllers = await startControllers({ kc: api.kubeConfig, dir: api.dir, logger });
    scheduler = new Scheduler({ kc: api.kubeConfig, logger });
    await scheduler.start();
  });

  const podWithClaim = (name: string, claimName: string, extra: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'redis:7.4' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...extra },
  });

  it('a claim gets the default class, waits for its first consumer, is provisioned on the pod\'s node, and the pod is bound after it', async () => {
    const created = await core.createNamespacedPersistentVolumeClaim({
      namespace: ns, body: { metadata: { name: 'data-1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } },
    });
    assert.equal(created.spec?.storageClassName, DEFAULT_STORAGE_CLASS, 'DefaultStorageClass admission');
    await waitFor('WaitForFirstConsumer event', async () => (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=data-1' }))
      .items.some((e) => e.reason === 'WaitForFirstConsumer'));
    assert.equal((await core.readNamespacedPersistentVolumeClaim({ name: 'data-1', namespace: ns })).status?.phase, 'Pending');

    await core.createNamespacedPod({ namespace: ns, body: podWithClaim('consumer', 'data-1') });
    const pod = await waitFor('the pod bound', async () => {
      const p = await core.readNamespacedPod({ name: 'consumer', namespace: ns });
      return p.spec?.nodeName ? p : undefined;
    });
    assert.ok(['node-a', 'node-b'].includes(pod.spec!.nodeName!), 'never the NotReady node');
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data-1', namespace: ns });
    assert.equal(claim.status?.phase, 'Bound', 'the claim was Bound before the pod');
    assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node'], pod.spec!.nodeName);
    assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], PROVISIONER_NAME);
    assert.equal(claim.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(claim.status?.capacity?.storage, '2Gi');
    const pv = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    assert.equal(pv.metadata?.name, `pvc-${claim.metadata?.uid}`);
    assert.equal(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], PROVISIONER_NAME);
    assert.equal(pv.spec?.claimRef?.uid, claim.metadata?.uid);
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values, [pod.spec!.nodeName]);
    await waitFor('the PV Bound', async () => (await core.readPersistentVolume({ name: pv.metadata!.name! })).status?.phase === 'Bound');
    const path = pv.spec!.local!.path;
    assert.equal(path, join(api.dir, 'volumes', `pvc-${claim.metadata?.uid}`));
    assert.ok(existsSync(path));

    // Reclaim policy Delete: the claim goes, the PV is Released, the provisioner deletes the data and the PV.
    await core.deleteNamespacedPod({ name: 'consumer', namespace: ns, gracePeriodSeconds: 0 });
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'data-1', namespace: ns });
    await waitFor('the PV deleted', async () => (await core.listPersistentVolume()).items.every((v) => v.metadata?.name !== pv.metadata?.name));
    assert.equal(existsSync(path), false);
  });

  it('a pod whose claim\'s volume is pinned to a node goes to that node', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns, body: { metadata: { name: 'data-2' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    await core.createNamespacedPod({ namespace: ns, body: podWithClaim('first', 'data-2') });
    const first = await waitFor('first bound', async () => (await core.readNamespacedPod({ name: 'first', namespace: ns })).spec?.nodeName);
    await core.deleteNamespacedPod({ name: 'first', namespace: ns, gracePeriodSeconds: 0 });
    for (let i = 0; i < 3; i++) {
      await core.createNamespacedPod({ namespace: ns, body: podWithClaim(`again-${i}`, 'data-2') });
      const node = await waitFor('bound again', async () => (await core.readNamespacedPod({ name: `again-${i}`, namespace: ns })).spec?.nodeName);
      assert.equal(node, first);
      await core.deleteNamespacedPod({ name: `again-${i}`, namespace: ns, gracePeriodSeconds: 0 });
    }
  });

  it('a pod no node fits stays Pending with PodScheduled=False and a FailedScheduling event', async () => {
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'nowhere' }, spec: { containers: [{ name: 'c', image: 'redis:7.4' }], nodeSelector: { disk: 'ssd' } } } });
    const pod = await waitFor('Unschedulable', async () => {
      const p = await core.readNamespacedPod({ name: 'nowhere', namespace: ns });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') && p;
    });
    assert.equal(pod.spec?.nodeName, undefined);
    const condition = pod.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, "0/3 nodes are available: 1 node(s) were not ready, 2 node(s) didn't match Pod's node affinity/selector.");
    const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=nowhere' });
    assert.ok(events.items.some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning'));
  });
});
