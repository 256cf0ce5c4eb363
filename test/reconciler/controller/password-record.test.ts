/** The operator's record of the password the pods accept: what is recorded, and when it may be. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildPasswordRecord, passwordRecordName } from '../../../reconciler/desired/index.js';
import { passwordAcceptedByAll } from '../../../reconciler/controller/password-record.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';

const store: KVStore = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cache', namespace: 'shop', uid: 'u-1' }, spec: {} };
const decode = (value: string | undefined) => value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

describe('password record', () => {
  it('is a Secret owned by the store, with the current and the previous password', () => {
    const secret = buildPasswordRecord(store, 'new', 'old');
    assert.equal(secret.metadata?.name, passwordRecordName('cache'));
    assert.equal(secret.metadata?.name, 'cache-auth-current');
    assert.equal(secret.metadata?.namespace, 'shop');
    assert.deepEqual(secret.metadata?.ownerReferences?.map((owner) => [owner.kind, owner.uid]), [['KVStore', 'u-1']]);
    assert.equal(secret.metadata?.labels?.['app.kubernetes.io/managed-by'], 'redwing', 'cached by the Secret informer');
    assert.deepEqual([decode(secret.data?.password), decode(secret.data?.previous)], ['new', 'old']);
    assert.equal(buildPasswordRecord(store, 'same', 'same').data?.previous, undefined);
  });

  it('is only written when every pod that answered accepted one and the same password', () => {
    assert.equal(passwordAcceptedByAll(new Map([['a', 'p'], ['b', 'p']])), 'p');
    assert.equal(passwordAcceptedByAll(new Map([['a', 'p'], ['b', 'q']])), undefined, 'mid-rotation: no single password');
    assert.equal(passwordAcceptedByAll(new Map()), undefined, 'no pod answered: nothing is known');
  });
});
