import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderLikeReference } from '../../console/schema-order.js';

describe('console form order', () => {
  it("shows the installed schema in the built-in copy's order, unknown fields last, and changes nothing else", () => {
    const installed = {
      type: 'object',
      properties: {
        affinity: { type: 'object', description: 'a' },
        engine: { type: 'string', enum: ['redis'] },
        newField: { type: 'string' },
        replicas: { type: 'integer', maximum: 15 },
        tolerations: { type: 'array', items: { type: 'object', properties: { value: { type: 'string' }, key: { type: 'string' } } } },
      },
    };
    const reference = {
      properties: {
        engine: {}, replicas: {}, gone: {}, affinity: {},
        tolerations: { items: { properties: { key: {}, value: {} } } },
      },
    };
    const ordered = orderLikeReference(installed, reference) as typeof installed;
    assert.deepEqual(Object.keys(ordered.properties), ['engine', 'replicas', 'affinity', 'tolerations', 'newField']);
    assert.deepEqual(Object.keys(ordered.properties.tolerations.items.properties), ['key', 'value']);
    assert.deepEqual(ordered, installed);
    assert.equal(orderLikeReference('text', reference), 'text');
  });
});
