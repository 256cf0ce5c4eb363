/** The reconciler's per-store series derived from status: last failover and last snapshot, dropped with the store. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ReconcilerMetrics } from '../../../reconciler/controller/metrics.js';

function sample(text: string, name: string): string | undefined {
  return new RegExp(`^${name}\\{namespace="shop",store="cache"\\} (\\S+)$`, 'm').exec(text)?.[1];
}

describe('ReconcilerMetrics: last failover and last snapshot', () => {
  it('exports status.lastFailover and status.lastSnapshot, and forgets them with the store', async () => {
    const metrics = new ReconcilerMetrics(false);
    metrics.observeStore('shop/cache', {
      phase: 'Ready',
      lastFailover: { time: '2026-01-02T03:04:05.000Z', from: 'cache-0', to: 'cache-1', reason: 'MasterUnreachable', durationMs: 2500 },
      lastSnapshot: { time: '2026-01-02T04:00:00.000Z', pod: 'cache-1', result: 'Failed', durationMs: 100 },
    });
    let text = await metrics.registry.metrics();
    assert.equal(sample(text, 'redwing_last_failover_duration_seconds'), '2.5');
    assert.equal(sample(text, 'redwing_last_failover_timestamp_seconds'), String(Date.parse('2026-01-02T03:04:05.000Z') / 1000));
    assert.equal(sample(text, 'redwing_last_snapshot_timestamp_seconds'), String(Date.parse('2026-01-02T04:00:00.000Z') / 1000));
    assert.equal(sample(text, 'redwing_last_snapshot_succeeded'), '0');

    metrics.observeStore('shop/cache', { phase: 'Ready', lastSnapshot: { time: '2026-01-02T05:00:00.000Z', pod: 'cache-1', result: 'Succeeded', durationMs: 90 } });
    assert.equal(sample(await metrics.registry.metrics(), 'redwing_last_snapshot_succeeded'), '1');

    metrics.forgetStore('shop/cache');
    text = await metrics.registry.metrics();
    for (const name of ['redwing_last_failover_duration_seconds', 'redwing_last_failover_timestamp_seconds', 'redwing_last_snapshot_timestamp_seconds', 'redwing_last_snapshot_succeeded']) {
      assert.equal(sample(text, name), undefined, name);
    }
  });
});
