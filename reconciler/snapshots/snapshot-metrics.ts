/** Snapshot series, registered in the reconciler's own registry (served on its /metrics next to the reconcile ones). */
import { Counter, Histogram, type Registry } from 'prom-client';

export type SnapshotMetricResult = 'succeeded' | 'failed';

export class SnapshotMetrics {
  readonly runs: Counter<'namespace' | 'store' | 'result'>;
  readonly duration: Histogram<'result'>;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'redwing_snapshots_total', help: 'Scheduled snapshot runs by store and result (failed includes saves kept in the pod instead of the asked-for dir).',
      labelNames: ['namespace', 'store', 'result'] as const, registers: [registry],
    });
    this.duration = new Histogram({
      name: 'redwing_snapshot_duration_seconds', help: 'Duration of one scheduled snapshot run (BGSAVE until the save ended).',
      labelNames: ['result'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600], registers: [registry],
    });
  }

  observe(key: string, result: SnapshotMetricResult, durationMs: number): void {
    const [namespace, store] = key.split('/') as [string, string];
    this.runs.inc({ namespace, store, result });
    this.duration.observe({ result }, durationMs / 1000);
  }

  forgetStore(key: string): void {
    const [namespace, store] = key.split('/') as [string, string];
    for (const result of ['succeeded', 'failed'] as const) this.runs.remove({ namespace, store, result });
  }
}
