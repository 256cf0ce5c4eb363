/** The informer caches' string interning: values are unchanged and the table stays bounded. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createInterner } from '../../../reconciler/controller/intern-strings.js';

describe('createInterner', () => {
  it('returns the same object with equal values, nested arrays and objects included', () => {
    const intern = createInterner();
    const object = { a: 'x', b: ['y', { c: 'x', d: 1, e: null, f: true }], g: { h: 'y' } };
    const copy = structuredClone(object);
    assert.equal(intern(object), object, 'interned in place');
    assert.deepEqual(object, copy);
    assert.equal(intern('plain'), 'plain');
  });

  it('keeps working when the table rotates its generations', () => {
    const intern = createInterner(4);
    const objects = Array.from({ length: 50 }, (_, index) => ({ shared: 'same', unique: `u-${index}`, list: ['same', `v-${index % 7}`] }));
    for (const object of objects) intern(object);
    objects.forEach((object, index) => assert.deepEqual(object, { shared: 'same', unique: `u-${index}`, list: ['same', `v-${index % 7}`] }));
  });
});
