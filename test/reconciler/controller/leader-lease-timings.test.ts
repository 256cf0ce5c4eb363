import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { leaderLeaseTimings, LEADER_RENEW_DEADLINE_MS } from '../../../reconciler/controller/leader-runnables.js';

test('the leader steps down a quarter of the lease before a standby may take over, at the default and longer leases', () => {
  assert.deepEqual(leaderLeaseTimings(), { leaseDurationSeconds: 2, renewDeadlineMs: LEADER_RENEW_DEADLINE_MS });
  assert.deepEqual(leaderLeaseTimings(2), { leaseDurationSeconds: 2, renewDeadlineMs: 1500 });
  assert.deepEqual(leaderLeaseTimings(15), { leaseDurationSeconds: 15, renewDeadlineMs: 11_250 });
});
