import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { mayHoldNewerData, observeMasterRole } from '../../../reconciler/replication/data-bounds.js';

describe('observeMasterRole', () => {
  it('bounds a replica that leaves the master by the master\'s offset at that moment, and clears it when it is back in step', () => {
    let bounds = observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-1', offset: 100 }, { pod: 's-2', offset: 90 }] });
    assert.deepEqual(bounds.connected, ['s-1', 's-2']);
    assert.deepEqual(bounds.bounds, {});
    bounds = observeMasterRole(bounds, { master: 's-0', offset: 150, replicas: [{ pod: 's-1', offset: 150 }] });
    assert.deepEqual(bounds.bounds, { 's-2': 150 });
    // Back, but still in its full sync (nothing acknowledged yet): the bound stays.
    bounds = observeMasterRole(bounds, { master: 's-0', offset: 170, replicas: [{ pod: 's-1', offset: 170 }, { pod: 's-2', offset: 0 }] });
    assert.deepEqual(bounds.bounds, { 's-2': 150 });
    bounds = observeMasterRole(bounds, { master: 's-0', offset: 200, replicas: [{ pod: 's-1', offset: 200 }, { pod: 's-2', offset: 190 }] });
    assert.deepEqual(bounds.bounds, {});
  });

  it('gives no bound to the replicas of a master that changed: the old master\'s last offset is unknown', () => {
    const first = observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-1', offset: 100 }, { pod: 's-2', offset: 100 }] });
    const next = observeMasterRole(first, { master: 's-1', offset: 120, replicas: [] });
    assert.deepEqual(next.bounds, {});
    assert.deepEqual(next.connected, []);
  });

  it('keeps bounds across a change of master (offsets continue after a promotion)', () => {
    let bounds = observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-1', offset: 100 }, { pod: 's-2', offset: 100 }] });
    bounds = observeMasterRole(bounds, { master: 's-0', offset: 110, replicas: [{ pod: 's-1', offset: 110 }] });
    bounds = observeMasterRole(bounds, { master: 's-1', offset: 130, replicas: [] });
    assert.deepEqual(bounds.bounds, { 's-2': 110 });
  });
});

describe('mayHoldNewerData', () => {
  const bounds = observeMasterRole(observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-2', offset: 100 }] }), { master: 's-0', offset: 120, replicas: [] });
  it('compares answering pods by offset', () => {
    assert.equal(mayHoldNewerData({ name: 's-1', offset: 90, keys: 5 }, 100, undefined), false);
    assert.equal(mayHoldNewerData({ name: 's-1', offset: 110, keys: 5 }, 100, undefined), true);
  });
  it('an empty pod holds nothing', () => {
    assert.equal(mayHoldNewerData({ name: 's-1', offset: 0, keys: 0 }, 0, undefined), false);
  });
  it('a restarted pod with keys (offset 0) or a silent pod is a risk unless bounded at or below the winner', () => {
    assert.equal(mayHoldNewerData({ name: 's-1', offset: 0, keys: 5 }, 1000, undefined), true);
    assert.equal(mayHoldNewerData({ name: 's-1' }, 1000, undefined), true);
    assert.equal(mayHoldNewerData({ name: 's-2', offset: 0, keys: 5 }, 120, bounds), false);
    assert.equal(mayHoldNewerData({ name: 's-2' }, 119, bounds), true);
  });
});
