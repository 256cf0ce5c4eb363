import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editedParts, mergePatchOf } from '../../console/edit-patch.js';

describe('console edit as a merge patch', () => {
  it('sets what changed, nulls what was removed, replaces lists whole, and leaves the rest out', () => {
    const from = { spec: { replicas: 3, config: { hz: '10', timeout: '30' }, args: ['--a'], tls: { enabled: false } } };
    const to = { spec: { replicas: 5, config: { hz: '10', 'maxmemory-policy': 'allkeys-lru' }, args: ['--a', '--b'], tls: { enabled: false } } };
    assert.deepEqual(mergePatchOf(from, to), { spec: { replicas: 5, config: { timeout: null, 'maxmemory-policy': 'allkeys-lru' }, args: ['--a', '--b'] } });
    assert.deepEqual(mergePatchOf(from, from), {});
  });

  it('takes only the spec, labels and annotations of a store', () => {
    assert.deepEqual(editedParts({ metadata: { name: 'x', resourceVersion: '9', labels: { a: 'b' } }, spec: { replicas: 1 }, status: { phase: 'Ready' } }),
      { metadata: { labels: { a: 'b' }, annotations: {} }, spec: { replicas: 1 } });
  });
});
