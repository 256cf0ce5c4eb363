import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, jsonEqual, sortKeysDeep } from '../../shared/json-value.js';

describe('jsonEqual', () => {
  it('ignores map key order at every depth (a real API server sorts them)', () => {
    const ours = { matchLabels: { 'app.kubernetes.io/name': 'kvstore', 'app.kubernetes.io/instance': 'cache' } };
    const sorted = JSON.parse('{"matchLabels":{"app.kubernetes.io/instance":"cache","app.kubernetes.io/name":"kvstore"}}');
    assert.notEqual(JSON.stringify(ours), JSON.stringify(sorted));
    assert.equal(jsonEqual(ours, sorted), true);
  });
  it('treats undefined members as absent, as JSON would', () => {
    assert.equal(jsonEqual({ a: 1, b: undefined }, { a: 1 }), true);
  });
  it('sees different values, missing keys and list order', () => {
    assert.equal(jsonEqual({ a: 1 }, { a: 2 }), false);
    assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1 }), false);
    assert.equal(jsonEqual([1, 2], [2, 1]), false);
    assert.equal(jsonEqual([1], { 0: 1 }), false);
    assert.equal(jsonEqual(null, {}), false);
    assert.equal(jsonEqual('1', 1), false);
  });
});

describe('canonicalJson', () => {
  it('writes the same text for the same value whatever the key order', () => {
    assert.equal(canonicalJson({ b: [{ y: 1, x: 2 }], a: null }), '{"a":null,"b":[{"x":2,"y":1}]}');
    assert.equal(canonicalJson({ a: undefined, b: 'c' }), '{"b":"c"}');
  });
});

describe('sortKeysDeep', () => {
  it('sorts the keys of every map, keeps list order, and drops undefined members', () => {
    const sorted = sortKeysDeep({ b: { z: 1, a: [{ y: 1, x: undefined, w: 2 }] }, a: null, c: undefined });
    assert.equal(JSON.stringify(sorted), '{"a":null,"b":{"a":[{"w":2,"y":1}],"z":1}}');
    assert.equal(JSON.stringify(sorted), canonicalJson(sorted));
  });
});
