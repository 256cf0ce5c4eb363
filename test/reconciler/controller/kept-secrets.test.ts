import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLeftBehind, keptSecretNames, releasedOwnerReferences } from '../../../reconciler/controller/kept-secrets.js';
import type { SecretObject } from '../../../reconciler/controller/store-secrets.js';
import { resolveStore } from '../../../reconciler/desired/store-context.js';
import { storeLabels } from '../../../shared/labels.js';
import { minimalStore } from '../desired/stores.js';

const STORE_UID = '0b6f1c9e-5a2d-4f3e-9c1a-1234567890ab';

function secret(labels: Record<string, string>, owners: Array<{ kind: string; uid: string }>): SecretObject {
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: 'cache-auth', namespace: 'shop', labels, ownerReferences: owners.map((owner) => ({ apiVersion: 'redwing.dev/v1alpha1', name: 'cache', ...owner })) },
  };
}

describe('Secrets kept with the data', () => {
  it('keeps the defaulted password and TLS Secrets, never ones the user named', () => {
    assert.deepEqual(keptSecretNames(resolveStore(minimalStore('redis'))), ['cache-auth']);
    const tls = { ...minimalStore('valkey'), spec: { engine: 'valkey' as const, tls: { enabled: true } } };
    assert.deepEqual(keptSecretNames(resolveStore(tls)), ['cache-auth', 'cache-tls']);
    const userNamed = {
      ...minimalStore('redis'),
      spec: { tls: { enabled: true, secretName: 'mine-tls' }, authentication: { passwordFromSecret: { name: 'mine', key: 'pw' } } },
    };
    assert.deepEqual(keptSecretNames(resolveStore(userNamed)), []);
    const noAuth = { ...minimalStore('redis'), spec: { authentication: { enabled: false } } };
    assert.deepEqual(keptSecretNames(resolveStore(noAuth)), []);
  });

  it('releases only the store\'s own owner reference, and nothing when the store does not own the Secret', () => {
    const owned = secret(storeLabels('cache'), [{ kind: 'KVStore', uid: STORE_UID }, { kind: 'Other', uid: 'x' }]);
    assert.deepEqual(releasedOwnerReferences(owned, STORE_UID)?.map((owner) => owner.uid), ['x']);
    assert.equal(releasedOwnerReferences(secret(storeLabels('cache'), []), STORE_UID), undefined);
  });

  it('adopts a Secret the operator labelled for this store that no KVStore owns; nothing else', () => {
    assert.equal(isLeftBehind(secret(storeLabels('cache'), []), 'cache'), true);
    assert.equal(isLeftBehind(secret(storeLabels('cache'), [{ kind: 'KVStore', uid: 'other' }]), 'cache'), false, 'owned by a store');
    assert.equal(isLeftBehind(secret(storeLabels('other'), []), 'cache'), false, 'another store\'s');
    assert.equal(isLeftBehind(secret({ 'app.kubernetes.io/instance': 'cache' }, []), 'cache'), false, 'not made by the operator');
  });
});
