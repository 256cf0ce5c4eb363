// The StatefulSet controller and the garbage collector against the sandbox API server, with real redis pods.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { isReady, redisContainer, startTestSandbox, waitFor, type TestSandbox } from '../helpers.js';
import { isNotFound } from '../../../kube/errors.js';

let t: TestSandbox;
before(async () => { t = await startTestSandbox(); });
after(async () => { await t?.stop(); });

const ns = 'default';

function statefulSet(name: string, replicas: number, policy: 'OrderedReady' | 'Parallel'): V1StatefulSet {
  return {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      podManagementPolicy: policy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ ...redisContainer, args: ['--dir', '/data'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

async function podsOf(app: string): Promise<V1Pod[]> {
  const list = await t.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
  return list.items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

test('OrderedReady: pods by ordinal with their claims, one after another; status with revisions', async () => {
  await t.apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('kv', 3, 'OrderedReady') });
  // kv-1 is only created once kv-0 is Running and Ready.
  const firstSeen = await waitFor('kv-1 appears', async () => {
    const pods = await podsOf('kv');
    return pods.some((p) => p.metadata?.name === 'kv-1') && pods;
  });
  const kv0 = firstSeen.find((p) => p.metadata?.name === 'kv-0');
  assert.ok(kv0 && isReady(kv0), 'kv-0 was Ready before kv-1 was created');
  const pods = await waitFor('3 ready pods', async () => {
    const all = await podsOf('kv');
    return all.length === 3 && all.every(isReady) && all;
  });
  assert.deepEqual(pods.map((p) => p.metadata?.name), ['kv-0', 'kv-1', 'kv-2']);
  const sts = await waitFor('status', async () => {
    const s = await t.apps.readNamespacedStatefulSet({ name: 'kv', namespace: ns });
    return s.status?.readyReplicas === 3 && s;
  });
  const revision = sts.status?.updateRevision;
  assert.ok(revision?.startsWith('kv-'));
  assert.equal(sts.status?.currentRevision, revision);
  assert.equal(sts.status?.replicas, 3);
  assert.equal(sts.status?.availableReplicas, 3);
  assert.equal(sts.status?.observedGeneration, sts.metadata?.generation);
  for (const [i, pod] of pods.entries()) {
    assert.equal(pod.metadata?.labels?.['controller-revision-hash'], revision);
    assert.equal(pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], `kv-${i}`);
    assert.equal(pod.metadata?.labels?.['apps.kubernetes.io/pod-index'], String(i));
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, sts.metadata?.uid);
    assert.equal(pod.spec?.hostname, `kv-${i}`);
    assert.equal(pod.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, `data-kv-${i}`);
  }
  const claims = await t.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: 'app=kv' });
  assert.deepEqual(claims.items.map((c) => c.metadata?.name).sort(), ['data-kv-0', 'data-kv-1', 'data-kv-2']);
});

test('a deleted pod is recreated with a new uid and the same claim', async () => {
  const old = await t.core.readNamespacedPod({ name: 'kv-1', namespace: ns });
  await t.core.deleteNamespacedPod({ name: 'kv-1', namespace: ns });
  const fresh = await waitFor('kv-1 recreated and Ready', async () => {
    const p = await t.core.readNamespacedPod({ name: 'kv-1', namespace: ns });
    return p.metadata?.uid !== old.metadata?.uid && isReady(p) && p;
  });
  assert.equal(fresh.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'data-kv-1');
});

test('scale down removes the highest ordinal first, one at a time', async () => {
  const seen: string[][] = [];
  await t.apps.patchNamespacedStatefulSetScale({ name: 'kv', namespace: ns, body: { spec: { replicas: 1 } } },
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'));
  await waitFor('one pod left', async () => {
    const names = (await podsOf('kv')).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
    seen.push(names);
    return names.length === 1 && names;
  });
  assert.deepEqual(seen.at(-1), ['kv-0']);
  // Never a state where kv-1 is gone while kv-2 still lives.
  assert.ok(!seen.some((names) => names.includes('kv-2') && !names.includes('kv-1')), JSON.stringify(seen));
  const claims = await t.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: 'app=kv' });
  assert.equal(claims.items.length, 3, 'claims are retained on scale down (Retain)');
});

test('Parallel: all pods at once, spread over the nodes; deleting the StatefulSet lets the garbage collector delete its pods', async () => {
  await t.apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('par', 3, 'Parallel') });
  const started = await waitFor('3 ready pods', async () => {
    const all = await podsOf('par');
    return all.length === 3 && all.every(isReady) && all;
  });
  assert.equal(new Set(started.map((p) => p.spec?.nodeName)).size, 3, 'the pods of one set are spread over the nodes');
  await t.apps.deleteNamespacedStatefulSet({ name: 'par', namespace: ns });
  await waitFor('pods garbage collected', async () => (await podsOf('par')).length === 0);
  const claims = await t.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: 'app=par' });
  assert.equal(claims.items.length, 3);
});

test('garbage collector: Background deletes dependents, Orphan keeps them without the owner reference', async () => {
  const owner = await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
  const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
  await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dep-bg', ownerReferences: [ownerRef] } } });
  await t.core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
  await waitFor('dependent deleted', async () => {
    try { await t.core.readNamespacedConfigMap({ name: 'dep-bg', namespace: ns }); return false; } catch (e: unknown) { return isNotFound(e); }
  });

  const owner2 = await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner2' } } });
  await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dep-orphan', ownerReferences: [{ ...ownerRef, name: 'owner2', uid: owner2.metadata!.uid! }] } } });
  await t.core.deleteNamespacedConfigMap({ name: 'owner2', namespace: ns, body: { propagationPolicy: 'Orphan' } });
  await waitFor('owner gone', async () => {
    try { await t.core.readNamespacedConfigMap({ name: 'owner2', namespace: ns }); return false; } catch (e: unknown) { return isNotFound(e); }
  });
  const dep = await t.core.readNamespacedConfigMap({ name: 'dep-orphan', namespace: ns });
  assert.equal(dep.metadata?.ownerReferences?.length ?? 0, 0);
});

test('garbage collector: Foreground keeps the owner until its blocking dependents are gone', async () => {
  const owner = await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'fg-owner' } } });
  await t.core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'fg-dep', finalizers: ['example.com/hold'], ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true }] } },
  });
  await t.core.deleteNamespacedConfigMap({ name: 'fg-owner', namespace: ns, body: { propagationPolicy: 'Foreground' } });
  const dep = await waitFor('dependent marked for deletion', async () => {
    const d = await t.core.readNamespacedConfigMap({ name: 'fg-dep', namespace: ns });
    return d.metadata?.deletionTimestamp && d;
  });
  const stillThere = await t.core.readNamespacedConfigMap({ name: 'fg-owner', namespace: ns });
  assert.ok(stillThere.metadata?.finalizers?.includes('foregroundDeletion'));
  await t.core.patchNamespacedConfigMap({ name: 'fg-dep', namespace: ns, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/json-patch+json'));
  assert.ok(dep);
  await waitFor('owner deleted after its dependent', async () => {
    try { await t.core.readNamespacedConfigMap({ name: 'fg-owner', namespace: ns }); return false; } catch (e: unknown) { return isNotFound(e); }
  });
});

test('namespace deletion empties the namespace, which then disappears', async () => {
  await t.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
  await waitFor('default ServiceAccount', async () => (await t.core.listNamespacedServiceAccount({ namespace: 'doomed' })).items.some((s) => s.metadata?.name === 'default'));
  const rootCa = await waitFor('kube-root-ca.crt', () => t.core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: 'doomed' }));
  assert.match(rootCa.data?.['ca.crt'] ?? '', /BEGIN CERTIFICATE/);
  await t.core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'stuff' } } });
  await t.core.deleteNamespace({ name: 'doomed' });
  await waitFor('namespace gone', async () => {
    try { await t.core.readNamespace({ name: 'doomed' }); return false; } catch (e: unknown) { return isNotFound(e); }
  });
});

async function revisions(app: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of await podsOf(app)) if (!p.metadata?.deletionTimestamp) out[p.metadata!.name!] = p.metadata!.labels!['controller-revision-hash']!;
  return out;
}

async function patchSet(name: string, body: object): Promise<void> {
  const { setHeaderOptions } = await import('@kubernetes/client-node');
  await t.apps.patchNamespacedStatefulSet({ name, namespace: ns, body }, setHeaderOptions('Content-Type', 'application/merge-patch+json'));
}

test('RollingUpdate replaces pods from the highest ordinal down; a partition holds lower ordinals on the old revision', async () => {
  const base = statefulSet('roll', 2, 'OrderedReady');
  base.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
  await t.apps.createNamespacedStatefulSet({ namespace: ns, body: base });
  const oldRevision = (await waitFor('roll ready', async () => {
    const s = await t.apps.readNamespacedStatefulSet({ name: 'roll', namespace: ns });
    return s.status?.readyReplicas === 2 && s;
  })).status!.updateRevision!;

  await patchSet('roll', { spec: { template: { metadata: { annotations: { rollout: '2' } } } } });
  const newRevision = await waitFor('new update revision', async () => {
    const s = await t.apps.readNamespacedStatefulSet({ name: 'roll', namespace: ns });
    return s.status?.updateRevision !== oldRevision && s.status?.observedGeneration === s.metadata?.generation && s.status?.updateRevision;
  });
  await waitFor('roll-1 updated and ready', async () => {
    const p = await t.core.readNamespacedPod({ name: 'roll-1', namespace: ns });
    return p.metadata?.labels?.['controller-revision-hash'] === newRevision && isReady(p);
  });
  assert.equal((await revisions('roll'))['roll-0'], oldRevision, 'roll-0 is below the partition');

  // A deleted pod below the partition comes back on the old revision.
  const old0 = await t.core.readNamespacedPod({ name: 'roll-0', namespace: ns });
  await t.core.deleteNamespacedPod({ name: 'roll-0', namespace: ns });
  const back = await waitFor('roll-0 recreated', async () => {
    const p = await t.core.readNamespacedPod({ name: 'roll-0', namespace: ns });
    return p.metadata?.uid !== old0.metadata?.uid && isReady(p) && p;
  });
  assert.equal(back.metadata?.labels?.['controller-revision-hash'], oldRevision);
  assert.equal(back.metadata?.annotations?.rollout, undefined);

  await patchSet('roll', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
  const done = await waitFor('rollout complete', async () => {
    const s = await t.apps.readNamespacedStatefulSet({ name: 'roll', namespace: ns });
    return s.status?.currentRevision === newRevision && s.status?.updatedReplicas === 2 && s.status?.readyReplicas === 2 && s;
  });
  assert.equal(done.status?.currentReplicas, 2);
  assert.deepEqual(await revisions('roll'), { 'roll-0': newRevision, 'roll-1': newRevision });
});

test('OnDelete: a template change replaces nothing until a pod is deleted', async () => {
  const base = statefulSet('ondel', 1, 'OrderedReady');
  base.spec!.updateStrategy = { type: 'OnDelete' };
  await t.apps.createNamespacedStatefulSet({ namespace: ns, body: base });
  const first = await waitFor('ondel-0 ready', async () => {
    const p = await t.core.readNamespacedPod({ name: 'ondel-0', namespace: ns });
    return isReady(p) && p;
  });
  await patchSet('ondel', { spec: { template: { metadata: { annotations: { rollout: '2' } } } } });
  const newRevision = await waitFor('controller saw the change', async () => {
    const s = await t.apps.readNamespacedStatefulSet({ name: 'ondel', namespace: ns });
    return s.status?.observedGeneration === s.metadata?.generation && s.status?.updateRevision !== first.metadata?.labels?.['controller-revision-hash'] && s.status?.updateRevision;
  });
  const untouched = await t.core.readNamespacedPod({ name: 'ondel-0', namespace: ns });
  assert.equal(untouched.metadata?.uid, first.metadata?.uid);
  await t.core.deleteNamespacedPod({ name: 'ondel-0', namespace: ns });
  const replaced = await waitFor('ondel-0 recreated', async () => {
    const p = await t.core.readNamespacedPod({ name: 'ondel-0', namespace: ns });
    return p.metadata?.uid !== first.metadata?.uid && p;
  });
  assert.equal(replaced.metadata?.labels?.['controller-revision-hash'], newRevision);
});

test('whenScaled: Delete removes the claims of scaled-down pods; the others stay', async () => {
  const base = statefulSet('shrink', 2, 'Parallel');
  base.spec!.persistentVolumeClaimRetentionPolicy = { whenScaled: 'Delete', whenDeleted: 'Retain' };
  await t.apps.createNamespacedStatefulSet({ namespace: ns, body: base });
  await waitFor('2 ready pods', async () => {
    const all = await podsOf('shrink');
    return all.length === 2 && all.every(isReady);
  });
  await patchSet('shrink', { spec: { replicas: 1 } });
  const claims = await waitFor('claim of shrink-1 deleted', async () => {
    const list = await t.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: 'app=shrink' });
    const names = list.items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata?.name);
    return names.length === 1 && names;
  });
  assert.deepEqual(claims, ['data-shrink-0']);
});
