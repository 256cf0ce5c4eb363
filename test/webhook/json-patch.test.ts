import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual } from '../../shared/json-value.js';
import { createJsonPatch, escapePointerToken } from '../../webhook/json-patch.js';
import { applyStrict } from './helpers.js';

describe('createJsonPatch', () => {
  it('escapes / and ~ in keys (RFC 6901)', () => {
    assert.equal(escapePointerToken('app.kubernetes.io/name'), 'app.kubernetes.io~1name');
    assert.equal(escapePointerToken('a~/b'), 'a~0~1b');
    const original = { metadata: { labels: { 'x/y': '1' } } };
    const mutated = { metadata: { labels: { 'x/y': '1', 'app.kubernetes.io/name': 'kvstore', 'odd~key': 'v' } } };
    const patch = createJsonPatch(original, mutated);
    assert.deepEqual(patch, [
      { op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'kvstore' },
      { op: 'add', path: '/metadata/labels/odd~0key', value: 'v' },
    ]);
    assert.deepEqual(applyStrict(original, patch), mutated);
  });

  it('creates missing parents by adding the whole subtree', () => {
    const original = { metadata: { name: 'a' } };
    const mutated = { metadata: { name: 'a', annotations: { 'k/v': 'x' } }, spec: { a: { b: 1 } } };
    const patch = createJsonPatch(original, mutated);
    assert.deepEqual(patch, [
      { op: 'add', path: '/metadata/annotations', value: { 'k/v': 'x' } },
      { op: 'add', path: '/spec', value: { a: { b: 1 } } },
    ]);
    assert.deepEqual(applyStrict(original, patch), mutated);
  });

  it('never removes keys it was not told it owns', () => {
    const original = { spec: { futureField: { x: 1 }, replicas: 1 }, status: { phase: 'Ready' } };
    const mutated = { spec: { replicas: 3 } };
    const patch = createJsonPatch(original, mutated);
    assert.deepEqual(patch, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    assert.ok(patch.every((op) => op.op !== 'remove'));
    assert.deepEqual(applyStrict(original, patch), { spec: { futureField: { x: 1 }, replicas: 3 }, status: { phase: 'Ready' } });
  });

  it('removes and replaces owned paths whole, and nothing else', () => {
    const original = { spec: { affinity: { podAntiAffinity: { x: 1 }, nodeAffinity: { y: 2 } } } };
    const mutated = { spec: { affinity: { nodeAffinity: { y: 2 } } } };
    assert.deepEqual(createJsonPatch(original, mutated), []);
    const patch = createJsonPatch(original, mutated, { ownedPaths: ['/spec/affinity/podAntiAffinity'] });
    assert.deepEqual(patch, [{ op: 'remove', path: '/spec/affinity/podAntiAffinity' }]);
    assert.deepEqual(applyStrict(original, patch), mutated);
    const switched = { spec: { affinity: { podAntiAffinity: { z: 3 }, nodeAffinity: { y: 2 } } } };
    assert.deepEqual(createJsonPatch(original, switched), [{ op: 'add', path: '/spec/affinity/podAntiAffinity/z', value: 3 }]);
    const owned = createJsonPatch(original, switched, { ownedPaths: ['/spec/affinity/podAntiAffinity'] });
    assert.deepEqual(owned, [{ op: 'replace', path: '/spec/affinity/podAntiAffinity', value: { z: 3 } }]);
    assert.deepEqual(applyStrict(original, owned), switched);
  });

  it('replaces arrays whole and type changes in place', () => {
    const original = { a: [1, 2], b: { c: 1 }, d: 'x' };
    const mutated = { a: [1, 2, 3], b: [1], d: 'x' };
    const patch = createJsonPatch(original, mutated);
    assert.deepEqual(patch, [{ op: 'replace', path: '/a', value: [1, 2, 3] }, { op: 'replace', path: '/b', value: [1] }]);
    assert.deepEqual(applyStrict(original, patch), mutated);
  });

  it('is empty when nothing changes, whatever the key order', () => {
    assert.deepEqual(createJsonPatch({ a: { x: 1, y: [1, { z: 2 }] } }, { a: { y: [1, { z: 2 }], x: 1 } }), []);
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!jsonEqual({ a: [1, 2] }, { a: [2, 1] }));
  });
});
