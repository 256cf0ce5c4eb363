import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAboutStore } from '../../console/store-detail-feed.js';
import { managedByOf, summarizeStore, type ClaimLease } from '../../console/store-summary.js';
import { timelineEntries } from '../../console/web/store-timeline.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const claim = (namespace: string, holder: string, renewedSecondsAgo: number): ClaimLease => ({
  metadata: { name: 'redwing-namespace-claim', namespace },
  spec: { holderIdentity: holder, renewTime: new Date(NOW - renewedSecondsAgo * 1000).toISOString(), leaseDurationSeconds: 15 },
});

describe('console store rows', () => {
  it('names the namespaced reconciler holding a live claim, and the cluster-wide one otherwise', () => {
    const claims = [claim('team-a', 'reconciler-team-a-7f9', 3), claim('team-b', 'reconciler-team-b-1c2', 40)];
    assert.deepEqual(managedByOf('team-a', claims, NOW), { scope: 'namespaced', holder: 'reconciler-team-a-7f9' });
    assert.deepEqual(managedByOf('team-b', claims, NOW), { scope: 'cluster-wide' }, 'a claim not renewed within its duration has lapsed');
    assert.deepEqual(managedByOf('default', claims, NOW), { scope: 'cluster-wide' });
    assert.deepEqual(managedByOf('team-a', undefined, NOW), { scope: 'unknown' }, 'the user may not read Leases');
    const leader = claim('redwing-system', 'redwing-reconciler-5d8', 2);
    assert.deepEqual(managedByOf('default', claims, NOW, leader), { scope: 'cluster-wide', holder: 'redwing-reconciler-5d8' });
    assert.deepEqual(managedByOf('team-a', claims, NOW, leader), { scope: 'namespaced', holder: 'reconciler-team-a-7f9' });
    assert.deepEqual(managedByOf('default', claims, NOW, claim('redwing-system', 'gone', 60)), { scope: 'cluster-wide' }, 'a lapsed leader is no one');
  });

  it('reads what kubectl get kvs shows', () => {
    const row = summarizeStore({
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
      metadata: { name: 'cache', namespace: 'team-a', creationTimestamp: '2026-12-07T11:00:00Z' as unknown as Date },
      spec: { engine: 'valkey', replicas: 3 }, status: { phase: 'Ready', readyReplicas: 3, master: 'cache-1' },
    }, [claim('team-a', 'r1', 1)], NOW);
    assert.deepEqual(row, {
      key: 'team-a/cache', namespace: 'team-a', name: 'cache', engine: 'valkey', replicas: 3, ready: 3, master: 'cache-1', phase: 'Ready',
      createdAt: '2026-12-07T11:00:00Z', deleting: false, managedBy: { scope: 'namespaced', holder: 'r1' },
    });
  });

  it("keeps the store's own Events and its pods', not a longer-named store's", () => {
    assert.equal(isAboutStore({ involvedObject: { kind: 'KVStore', name: 'web' } }, 'web'), true);
    assert.equal(isAboutStore({ involvedObject: { kind: 'Pod', name: 'web-2' } }, 'web'), true);
    assert.equal(isAboutStore({ involvedObject: { kind: 'Pod', name: 'web-cache-0' } }, 'web'), false);
    assert.equal(isAboutStore({ involvedObject: { kind: 'KVStore', name: 'web-cache' } }, 'web'), false);
  });

  it('puts status.lastFailover and the failover Events of the store on the timeline, newest first', () => {
    const entries = timelineEntries(
      { status: { lastFailover: { time: '2026-12-07T11:00:05Z', from: 'web-0', to: 'web-1', reason: 'MasterRestarted', durationMs: 82 } } },
      [
        { type: 'Normal', reason: 'MasterElected', message: 'web-0 elected master', object: 'KVStore/web', count: 1, time: '2026-12-07T10:59:00Z' },
        { type: 'Warning', reason: 'FailedOver', message: 'master moved from web-0 to web-1', object: 'KVStore/web', count: 1, time: '2026-12-07T11:00:05Z' },
        { type: 'Normal', reason: 'Started', message: 'Started container engine', object: 'Pod/web-0', count: 2, time: '2026-12-07T11:00:06Z' },
      ],
    );
    assert.deepEqual(entries.map((entry) => entry.title), ['Failover web-0 → web-1', 'FailedOver', 'MasterElected']);
    assert.match(entries[0].detail, /MasterRestarted, 82 ms/);
  });
});
