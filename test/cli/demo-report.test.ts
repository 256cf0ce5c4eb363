/** The demo's words and flags (issue 18), as pure functions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventLine, failoverSummary, liveLine } from '../../cli/demo-report.js';
import { demoStoreManifest, describeProgress, isReadyStore } from '../../cli/demo-store.js';
import { demoSettings } from '../../cli/run-demo.js';
import type { KVStore } from '../../shared/schema/kvstore.js';

describe('demo report', () => {
  it('a live line names the master, the ping, the rate and the count; a failing loop says so', () => {
    assert.equal(liveLine({ elapsedS: 3, master: 'demo-0', pingMs: 0.42, writesPerSecond: 85, acknowledged: 1234, failing: false }),
      '[   3 s] master demo-0 · ping 0.4 ms · 85 writes/s · 1,234 acknowledged');
    assert.match(liveLine({ elapsedS: 4, master: 'demo-0', writesPerSecond: 0, acknowledged: 1234, failing: true }), /ping - · writes FAILING/);
    assert.equal(eventLine(57.4, 'writes fail: x'), '  +   57 ms  writes fail: x');
  });

  it('the summary gives the promotion, the first write and the keys lost', () => {
    const lines = failoverSummary({
      oldMaster: 'demo-0', newMaster: 'demo-1', checked: 391, lost: 0, firstWriteMs: 620.2, unavailableMs: 634,
      record: { time: '2026-12-07T12:00:00Z', from: 'demo-0', to: 'demo-1', reason: 'MasterRestarted', durationMs: 236 },
    });
    assert.deepEqual(lines, [
      'failover: demo-0 -> demo-1 (MasterRestarted; detection to promotion 236 ms)',
      'first acknowledged write 620 ms after the removal (no write acknowledged for 634 ms)',
      'keys lost: 0 of 391 acknowledged (every acknowledged key read back)',
    ]);
    const stale = failoverSummary({ oldMaster: 'demo-0', newMaster: 'demo-0', checked: 10, lost: 2 });
    assert.match(stale[0]!, /demo-0 is still the master/);
    assert.match(stale[2]!, /keys lost: 2 of 10/);
  });
});

describe('demo store and flags', () => {
  it('installs the engine and size asked for, and waits for every pod of the current generation', () => {
    const manifest = demoStoreManifest({ namespace: 'ns', name: 'demo' }, 'valkey', 5);
    assert.deepEqual(manifest.spec, { engine: 'valkey', replicas: 5 });
    const store = { ...manifest, metadata: { ...manifest.metadata, generation: 2 }, status: { phase: 'Ready', readyReplicas: 5, master: 'demo-0', observedGeneration: 2 } } as KVStore;
    assert.equal(isReadyStore(store, 5), true);
    assert.equal(isReadyStore({ ...store, status: { ...store.status!, observedGeneration: 1 } } as KVStore, 5), false);
    assert.equal(isReadyStore(store, 3), false);
    assert.equal(describeProgress({ ...manifest, status: { phase: 'Creating', readyReplicas: 1, conditions: [{ type: 'Available', status: 'False', reason: 'NoMaster', message: 'no master elected yet', lastTransitionTime: 'x' }] } } as KVStore),
      'Creating, 1/5 pods ready (no master elected yet)');
  });

  it('refuses an unknown engine, a store without a replica to promote, and both removals at once', () => {
    const base = { engine: 'redis', replicas: 3, name: 'demo', namespace: 'default' };
    assert.equal(demoSettings({ ...base, 'kill-master': true }).remove, 'kill');
    assert.throws(() => demoSettings({ ...base, engine: 'memcached' }), /--engine must be one of redis, valkey, dragonfly/);
    assert.throws(() => demoSettings({ ...base, replicas: 1 }), /--replicas must be from 2/);
    assert.throws(() => demoSettings({ ...base, 'kill-master': true, 'delete-master': true }), /pick one/);
  });
});
