import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listSemanticsFor } from '../../../sandbox/apiserver/list-keys.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../../sandbox/apiserver/patch.js';
import { ApiError } from '../../../sandbox/apiserver/status-errors.js';
import type { V1Deployment, V1MutatingWebhookConfiguration, V1Pod } from '@kubernetes/client-node';

describe('patches', () => {
  it('merge patch follows RFC 7386', () => {
    assert.deepEqual(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: null, e: 4 }, l: [3] }), { b: { d: 3, e: 4 }, l: [3] });
  });

  it('JSON patch: replace of a missing key adds it, a failing test is a generic 422', () => {
    assert.deepEqual(applyJsonPatch({ data: {} }, [{ op: 'replace', path: '/data/k', value: 'v' }]), { data: { k: 'v' } });
    assert.deepEqual(applyJsonPatch({ data: { 'a/b': '1' } }, [{ op: 'remove', path: '/data/a~1b' }]), { data: {} });
    assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e: unknown) => e instanceof ApiError && e.code === 422 && e.message === 'the server rejected our request due to an error in our request');
    assert.throws(() => applyJsonPatch({}, [{ op: 'replace', path: '/does/not/exist', value: 1 }]), (e: unknown) => e instanceof ApiError && e.code === 422);
    assert.throws(() => applyJsonPatch({}, { op: 'add' }), (e: unknown) => e instanceof ApiError && e.code === 400);
  });

  it('strategic merge patch: keyed lists, $patch directives, primitive-list deletion, $retainKeys', () => {
    const lists = listSemanticsFor('Pod', undefined);
    const pod = { metadata: { finalizers: ['a'] }, spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }] }, { name: 'b', image: 'y' }], tolerations: [{ key: 't' }] } };
    const out = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['b'] },
      spec: { containers: [{ name: 'a', env: [{ name: 'B', value: '2' }] }, { name: 'b', $patch: 'delete' }, { name: 'c', image: 'z' }], tolerations: [{ key: 'u' }] },
    }, lists) as V1Pod;
    assert.deepEqual(out.metadata?.finalizers, ['a', 'b']);
    assert.deepEqual(out.spec?.containers.map((c) => c.name), ['a', 'c']);
    assert.deepEqual(out.spec?.containers[0]?.env?.map((e) => e.name), ['A', 'B']);
    assert.deepEqual(out.spec?.tolerations, [{ key: 'u' }], 'lists without a merge key are replaced');
    const removed = applyStrategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, lists) as V1Pod;
    assert.deepEqual(removed.metadata?.finalizers, []);
    const retained = applyStrategicMergePatch({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, lists) as V1Deployment;
    assert.deepEqual(retained.spec?.strategy, { type: 'Recreate' });
    assert.throws(() => applyStrategicMergePatch({}, { metadata: {}, $retainKeys: ['data'] }, lists), (e: unknown) => e instanceof ApiError && e.message === 'invalid patch format of retainKeys');
  });

  it('strategic merge patch merges webhook configurations by webhook name (caBundle injection)', () => {
    const lists = listSemanticsFor('MutatingWebhookConfiguration', undefined);
    const config = { webhooks: [{ name: 'a.redwing.dev', clientConfig: { url: 'https://x' } }, { name: 'b.redwing.dev', clientConfig: { url: 'https://y' } }] };
    const out = applyStrategicMergePatch(config, { webhooks: [{ name: 'b.redwing.dev', clientConfig: { caBundle: 'Q0E=' } }] }, lists) as V1MutatingWebhookConfiguration;
    assert.deepEqual(out.webhooks, [{ name: 'a.redwing.dev', clientConfig: { url: 'https://x' } }, { name: 'b.redwing.dev', clientConfig: { url: 'https://y', caBundle: 'Q0E=' } }]);
  });
});
