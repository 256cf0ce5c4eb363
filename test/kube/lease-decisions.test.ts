import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decideLease, leaseRecord, type LeaseObject } from '../../kube/leader-election.js';
import { microTime } from '../../shared/rfc3339.js';

function lease(holder: string | null, renewTime = '2026-01-01T00:00:00.000000Z', resourceVersion = '7', leaseDurationSeconds = 10): LeaseObject {
  return { metadata: { name: 'l', namespace: 'n', resourceVersion }, spec: { holderIdentity: holder, renewTime, leaseDurationSeconds } };
}

describe('decideLease', () => {
  it('creates a missing lease and renews its own', () => {
    assert.equal(decideLease(undefined, 'me', 0, undefined, 10), 'create');
    assert.equal(decideLease(lease('me'), 'me', 0, undefined, 10), 'renew');
  });

  it('takes over a released lease at once', () => {
    assert.equal(decideLease(lease(null), 'me', 0, undefined, 10), 'takeover');
    assert.equal(decideLease(lease(''), 'me', 0, undefined, 10), 'takeover');
  });

  it('waits while the holder renews, and takes over after a full unchanged lease duration', () => {
    const held = lease('other');
    const observation = { record: leaseRecord(held), observedAtMs: 1000 };
    assert.equal(decideLease(held, 'me', 1000, observation, 10), 'wait');
    assert.equal(decideLease(held, 'me', 10_999, observation, 10), 'wait');
    assert.equal(decideLease(held, 'me', 11_000, observation, 10), 'takeover');
    const renewed = lease('other', '2026-01-01T00:00:05.000000Z', '8');
    assert.equal(decideLease(renewed, 'me', 20_000, observation, 10), 'wait', 'a renewal restarts the clock');
  });

  it('never takes over a lease it has not observed for a duration', () => {
    assert.equal(decideLease(lease('other'), 'me', 1e12, undefined, 10), 'wait');
  });
});

describe('microTime', () => {
  it('formats with microseconds', () => {
    assert.equal(microTime(new Date('2026-01-01T00:00:00.123Z')), '2026-01-01T00:00:00.123000Z');
  });
});
