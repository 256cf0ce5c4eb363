import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KVStore, KVStoreSpec } from '../../../shared/schema/kvstore.js';
import { buildStatefulSet } from '../../../reconciler/desired/index.js';
import { planStatefulSetChange } from '../../../reconciler/apply/index.js';
import { minimalStore } from '../desired/stores.js';
import { validateKubernetesObject } from '../desired/schema-validation.js';
import { storedStatefulSet } from './stored.js';
import { sortKeysDeep } from '../../../shared/json-value.js';

function store(spec: Partial<KVStoreSpec>): KVStore {
  const base = minimalStore('redis');
  return { ...base, spec: { ...base.spec, ...spec } };
}

const live = (spec: Partial<KVStoreSpec>) => storedStatefulSet(buildStatefulSet(store(spec)));

describe('planStatefulSetChange', () => {
  it('creates a missing StatefulSet as desired', () => {
    const desired = buildStatefulSet(store({}));
    const plan = planStatefulSetChange(desired, undefined);
    assert.equal(plan.apply, true);
    assert.equal(plan.statefulSet, desired);
    assert.deepEqual(plan.growPvcs, []);
    assert.equal(plan.blocked, undefined);
  });

  it('does nothing when the live object already matches', () => {
    const plan = planStatefulSetChange(buildStatefulSet(store({})), live({}));
    assert.equal(plan.apply, false, plan.applyReason);
    assert.deepEqual(plan.growPvcs, []);
    assert.equal(plan.blocked, undefined);
  });

  it('does nothing when the live object comes back with its map keys sorted, as a real API server sends them', () => {
    const sorted = sortKeysDeep(live({})) as ReturnType<typeof live>;
    assert.notEqual(JSON.stringify(sorted.spec?.selector), JSON.stringify(buildStatefulSet(store({})).spec?.selector));
    const plan = planStatefulSetChange(buildStatefulSet(store({})), sorted);
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.apply, false, plan.applyReason);
  });

  it('grows every PVC when the size grows, keeping the immutable claim template', () => {
    const current = live({ replicas: 3, persistence: { size: '1Gi' } });
    current.status!.replicas = 4; // a fourth pod still exists from before a scale-down
    const plan = planStatefulSetChange(buildStatefulSet(store({ replicas: 3, persistence: { size: '5Gi' } })), current);
    assert.deepEqual(plan.growPvcs, [0, 1, 2, 3].map((i) => ({ name: `data-cache-${i}`, size: '5Gi' })));
    assert.equal(plan.statefulSet.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage, '1Gi');
    assert.equal(plan.statefulSet.spec?.volumeClaimTemplates?.[0]?.status, undefined);
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.apply, false, 'nothing else changed');
  });

  it('still applies other changes alongside a growth', () => {
    const plan = planStatefulSetChange(buildStatefulSet(store({ image: 'redis:7.4.2', persistence: { size: '2Gi' } })), live({}));
    assert.equal(plan.apply, true);
    assert.match(plan.applyReason ?? '', /image/);
    assert.equal(plan.growPvcs.length, 3);
    validateKubernetesObject(plan.statefulSet);
  });

  it('blocks a shrink and a storage class change with a reason', () => {
    const shrink = planStatefulSetChange(buildStatefulSet(store({ persistence: { size: '500Mi' } })), live({}));
    assert.match(shrink.blocked ?? '', /cannot shrink from 1Gi to 500Mi/);
    assert.deepEqual(shrink.growPvcs, []);
    const storageClass = planStatefulSetChange(buildStatefulSet(store({ persistence: { storageClassName: 'fast' } })), live({}));
    assert.match(storageClass.blocked ?? '', /storageClassName cannot change from \(cluster default\) to fast/);
    assert.equal(storageClass.statefulSet.spec?.volumeClaimTemplates?.[0]?.spec?.storageClassName, undefined);
  });

  it('blocks turning persistence off or on, and keeps the pod template valid for the claims that stay', () => {
    const off = planStatefulSetChange(buildStatefulSet(store({ persistence: { enabled: false } })), live({}));
    assert.match(off.blocked ?? '', /persistence cannot be turned off/);
    assert.equal(off.statefulSet.spec?.volumeClaimTemplates?.length, 1);
    assert.equal(off.statefulSet.spec?.template.spec?.volumes?.some((v) => v.name === 'data'), false);
    validateKubernetesObject(off.statefulSet);

    const on = planStatefulSetChange(buildStatefulSet(store({})), live({ persistence: { enabled: false } }));
    assert.match(on.blocked ?? '', /persistence cannot be turned on/);
    assert.equal(on.statefulSet.spec?.volumeClaimTemplates, undefined);
    assert.deepEqual(on.statefulSet.spec?.template.spec?.volumes?.find((v) => v.name === 'data'), { name: 'data', emptyDir: {} });
    validateKubernetesObject(on.statefulSet);
  });

  it('keeps a foreign selector, serviceName and pod management policy, and says so', () => {
    const current = live({});
    current.spec!.selector = { matchLabels: { app: 'legacy' } };
    current.spec!.serviceName = 'legacy';
    current.spec!.podManagementPolicy = 'OrderedReady';
    const plan = planStatefulSetChange(buildStatefulSet(store({})), current);
    assert.match(plan.blocked ?? '', /spec\.selector cannot change/);
    assert.match(plan.blocked ?? '', /serviceName cannot change from legacy/);
    assert.match(plan.blocked ?? '', /podManagementPolicy cannot change from OrderedReady to Parallel/);
    assert.deepEqual(plan.statefulSet.spec?.selector, { matchLabels: { app: 'legacy' } });
    assert.equal(plan.statefulSet.spec?.serviceName, 'legacy');
    assert.equal(plan.statefulSet.spec?.podManagementPolicy, 'OrderedReady');
  });
});
