// The apply layer against the sandbox API server (real HTTPS, discovery, server-side apply with managed fields,
// StatefulSet immutability), driven through @kubernetes/client-node.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  KubeConfig, PatchStrategy, type KubernetesObject, type V1NetworkPolicy, type V1PersistentVolumeClaim, type V1StatefulSet,
} from '@kubernetes/client-node';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { buildDesiredObjects } from '../../../reconciler/desired/index.js';
import {
  applyIfChanged, applyObject, ApplyError, deleteObjectIfExists, growPersistentVolumeClaims, needsApply,
  planStatefulSetChange, readObject, toWireObject,
} from '../../../reconciler/apply/index.js';
import { maximalStore } from '../desired/stores.js';
import { useTestApiServer } from '../../helpers/api-server.js';
import { objectApi } from './object-api.js';

type Header = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

function header(object: KubernetesObject): Header {
  return { apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, namespace: object.metadata?.namespace } };
}

describe('apply layer on the sandbox API server', () => {
  const sandbox = useTestApiServer({ dirPrefix: 'redwing-apply-' });
  let kc: KubeConfig;

  before(async () => {
    kc = sandbox.kubeConfig;
    await applyObject(kc, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });

  const read = <T extends KubernetesObject>(object: KubernetesObject) => readObject<T>(kc, header(object));

  it('applies every desired object once; a second pass sends nothing', async () => {
    const objects = Object.values(buildDesiredObjects(maximalStore('redis')));
    for (const object of objects) {
      const result = await applyIfChanged(kc, object, await read(object));
      assert.equal(result.applied, true, `${object.kind} created`);
      const live = await read(object);
      assert.ok(live, `${object.kind} stored`);
      assert.equal(needsApply(object, live), false, `${object.kind} matches after apply`);
      const managers = (live.metadata?.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
      assert.ok(managers.includes('redwing/Apply'), `${object.kind} managed by redwing: ${managers.join(',')}`);
    }
    for (const object of objects) {
      const again = await applyIfChanged(kc, object, await read(object));
      assert.equal(again.applied, false, `${object.kind} unchanged: ${again.reason}`);
    }
  });

  it('keeps NetworkPolicy peers through the client serializer', async () => {
    const { networkPolicy } = buildDesiredObjects(maximalStore('redis'));
    const live = toWireObject(await read<V1NetworkPolicy>(networkPolicy!)) as unknown as { spec: { ingress: Array<{ from?: unknown[] }> } };
    assert.equal(live.spec.ingress[0]?.from?.length, 4);
  });

  it('removes a field the store no longer sets, and takes back a field edited by hand', async () => {
    const store: KVStore = maximalStore('redis');
    store.spec!.podMetadata!.labels = {};
    const { statefulSet } = buildDesiredObjects(store);
    const before = await read<V1StatefulSet>(statefulSet);
    assert.equal(before?.spec?.template.metadata?.labels?.team, 'payments');
    const result = await applyIfChanged(kc, statefulSet, before);
    assert.equal(result.applied, true);
    assert.equal(result.object.spec?.template.metadata?.labels?.team, undefined, 'dropped label removed by SSA');

    const edited = { ...header(statefulSet), spec: { template: { spec: { terminationGracePeriodSeconds: 5 } } } };
    await objectApi(kc).patch(edited, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
    const drifted = await read<V1StatefulSet>(statefulSet);
    assert.equal(drifted?.spec?.template.spec?.terminationGracePeriodSeconds, 5);
    const restored = await applyIfChanged(kc, statefulSet, drifted);
    assert.equal(restored.applied, true);
    assert.match(restored.reason ?? '', /terminationGracePeriodSeconds/);
    assert.equal(restored.object.spec?.template.spec?.terminationGracePeriodSeconds, 60);
  });

  it('grows PVCs in place and applies around the immutable claim template', async () => {
    const store: KVStore = maximalStore('redis');
    store.spec!.podMetadata!.labels = {};
    for (const ordinal of [0, 1]) {
      await objectApi(kc).create({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: { name: `data-sessions-${ordinal}`, namespace: 'shop' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'fast-ssd' },
      } as V1PersistentVolumeClaim);
    }
    store.spec!.persistence!.size = '30Gi';
    store.spec!.image = 'registry.example.com/redis:8.0.1';
    const desired = buildDesiredObjects(store).statefulSet;

    await assert.rejects(applyObject(kc, desired), (error: unknown) => {
      assert.ok(error instanceof ApplyError);
      assert.equal(error.statusCode, 422);
      return true;
    }, 'the API server refuses a changed claim template');

    const plan = planStatefulSetChange(desired, await read<V1StatefulSet>(desired));
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.apply, true);
    assert.deepEqual(plan.growPvcs.map((g) => g.name), [0, 1, 2, 3, 4].map((i) => `data-sessions-${i}`));
    const applied = await applyObject(kc, plan.statefulSet);
    assert.equal(applied.spec?.template.spec?.containers[0]?.image, 'registry.example.com/redis:8.0.1');

    const growth = await growPersistentVolumeClaims(kc, 'shop', plan.growPvcs);
    assert.deepEqual(growth.grown, ['data-sessions-0', 'data-sessions-1']);
    assert.deepEqual(growth.missing, ['data-sessions-2', 'data-sessions-3', 'data-sessions-4']);
    assert.deepEqual(growth.failed, []);
    const pvc = await readObject<V1PersistentVolumeClaim>(kc, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-sessions-0', namespace: 'shop' } });
    assert.equal(pvc?.spec?.resources?.requests?.storage, '30Gi');
    const again = await growPersistentVolumeClaims(kc, 'shop', plan.growPvcs);
    assert.deepEqual(again.unchanged, ['data-sessions-0', 'data-sessions-1'], 'idempotent');

    const settled = planStatefulSetChange(desired, await read<V1StatefulSet>(desired));
    assert.equal(settled.apply, false, settled.applyReason);
  });

  it('reports a blocked change and still applies the rest', async () => {
    const store: KVStore = maximalStore('redis');
    store.spec!.podMetadata!.labels = {};
    store.spec!.persistence!.size = '10Gi';
    store.spec!.replicas = 4;
    const desired = buildDesiredObjects(store).statefulSet;
    const plan = planStatefulSetChange(desired, await read<V1StatefulSet>(desired));
    assert.match(plan.blocked ?? '', /cannot shrink from 20Gi to 10Gi/);
    assert.equal(plan.apply, true);
    const applied = await applyObject(kc, plan.statefulSet);
    assert.equal(applied.spec?.replicas, 4);
  });

  it('deletes an object no longer desired, once', async () => {
    const { readService } = buildDesiredObjects(maximalStore('redis'));
    assert.equal(await deleteObjectIfExists(kc, header(readService!)), true);
    assert.equal(await read(readService!), undefined);
    assert.equal(await deleteObjectIfExists(kc, header(readService!)), false);
  });
});
