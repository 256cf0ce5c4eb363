import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateKVStore } from '../../webhook/validate-kvstore.js';
import type { Json } from './helpers.js';

const FIELD = 'metadata.annotations[redwing.dev/switchover]';

function store(annotation: unknown, replicas = 3): Json {
  const annotations: Json = annotation === undefined ? {} : { 'redwing.dev/switchover': annotation as Json[string] };
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cache', namespace: 'default', annotations }, spec: { replicas } };
}

const update = (oldAnnotation: unknown, annotation: unknown, replicas = 3) =>
  validateKVStore({ operation: 'UPDATE', object: store(annotation, replicas), oldObject: store(oldAnnotation, replicas) });

describe('validateKVStore: the switchover request annotation', () => {
  it("accepts 'any' and a pod of this store, and no annotation at all", () => {
    for (const value of ['any', 'cache-0', 'cache-2', undefined]) assert.deepEqual(update(undefined, value).errors, [], String(value));
  });

  it('refuses another name, an ordinal past spec.replicas, or a non-string, naming the annotation', () => {
    const other = update(undefined, 'other-1').errors;
    assert.equal(other.length, 1);
    assert.equal(other[0]!.field, FIELD);
    assert.match(other[0]!.message, /switchover request.*'any' or the name of one of this store's pods \(cache-0 \.\. cache-2\)/);
    assert.match(update(undefined, 'cache-3').errors[0]!.message, /names pod cache-3, but the store has 3 pods/);
    assert.match(update(undefined, 5).errors[0]!.message, /must be a string/);
    assert.equal(validateKVStore({ operation: 'CREATE', object: store('cache-9') }).errors[0]?.field, FIELD, 'on CREATE too');
  });

  it('does not judge an unchanged request again (a scale-down must not be refused for it), and removing it is fine', () => {
    assert.deepEqual(update('cache-4', 'cache-4', 3).errors, []);
    assert.deepEqual(update('cache-4', undefined, 3).errors, []);
  });
});
