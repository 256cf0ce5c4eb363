import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { LeaseObject } from '../../../kube/leader-election.js';
import { microTime } from '../../../shared/rfc3339.js';
import { isClaimLive } from '../../../reconciler/controller/namespace-claim.js';

function lease(holder: string | null, renewTime = '2026-01-01T00:00:00.000000Z', resourceVersion = '7', leaseDurationSeconds = 10): LeaseObject {
  return { metadata: { name: 'l', namespace: 'n', resourceVersion }, spec: { holderIdentity: holder, renewTime, leaseDurationSeconds } };
}

describe('isClaimLive', () => {
  it('counts a held claim within its duration only', () => {
    const renew = Date.parse('2026-01-01T00:00:00Z');
    const claim = lease('ns-reconciler', microTime(new Date(renew)));
    assert.equal(isClaimLive(claim, renew + 9_000), true);
    assert.equal(isClaimLive(claim, renew + 10_000), false);
    assert.equal(isClaimLive(lease(null, microTime(new Date(renew))), renew), false);
    assert.equal(isClaimLive(undefined, renew), false);
  });
});
