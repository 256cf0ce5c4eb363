/**
 * Prometheus metrics of the reconciler (own registry per instance, so two reconcilers in one process do not clash)
 * and the HTTP endpoint serving them with /healthz and /readyz.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KVStoreStatus, Phase } from '../../shared/schema/kvstore.js';
import type { StoreMetricsSink } from './context.js';

/**
 * The phases of shared/schema/kvstore.ts, listed here because importing that module at run time loads TypeBox
 * (about 200 modules) into the reconciler for one constant. The type below fails to compile if a phase is missing.
 */
const PHASES = ['Pending', 'Creating', 'Ready', 'Failover', 'Updating', 'Degraded', 'Failed'] as const satisfies readonly Phase[];
const EVERY_PHASE_LISTED: [Exclude<Phase, (typeof PHASES)[number]>] extends [never] ? true : never = true;
void EVERY_PHASE_LISTED;

interface StoreSeries {
  phase?: string;
  pods: Array<{ pod: string; role: string }>;
}

export class ReconcilerMetrics implements StoreMetricsSink {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'redwing_reconcile_duration_seconds', help: 'Duration of one store reconcile.', labelNames: ['result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({ name: 'redwing_reconcile_errors_total', help: 'Reconciles that failed (retried with backoff).', registers: [this.registry] });
  readonly storesByPhase = new Gauge({ name: 'redwing_stores', help: 'KVStores by phase.', labelNames: ['phase'] as const, registers: [this.registry] });
  readonly podRole = new Gauge({ name: 'redwing_pod_role', help: '1 for the role each store pod holds.', labelNames: ['namespace', 'store', 'pod', 'role'] as const, registers: [this.registry] });
  readonly podUp = new Gauge({ name: 'redwing_pod_up', help: '1 when the pod engine answered the last probe.', labelNames: ['namespace', 'store', 'pod'] as const, registers: [this.registry] });
  readonly replicationLag = new Gauge({ name: 'redwing_replication_lag_bytes', help: 'How far a replica is behind its master.', labelNames: ['namespace', 'store', 'pod'] as const, registers: [this.registry] });
  readonly failovers = new Counter({ name: 'redwing_failovers_total', help: 'Masters promoted after the previous one was lost.', labelNames: ['namespace', 'store'] as const, registers: [this.registry] });
  // From status.lastFailover / status.lastSnapshot, so they survive a reconciler restart (the counters above do not):
  // the dashboard's "last failover" and "snapshot age" panels and the SnapshotFailing alert read them.
  readonly lastFailoverDuration = new Gauge({ name: 'redwing_last_failover_duration_seconds', help: 'Detection to promotion of the last failover (status.lastFailover).', labelNames: ['namespace', 'store'] as const, registers: [this.registry] });
  readonly lastFailoverTime = new Gauge({ name: 'redwing_last_failover_timestamp_seconds', help: 'When the last failover promoted its master (Unix time).', labelNames: ['namespace', 'store'] as const, registers: [this.registry] });
  readonly lastSnapshotTime = new Gauge({ name: 'redwing_last_snapshot_timestamp_seconds', help: 'When the last snapshot finished (status.lastSnapshot, Unix time).', labelNames: ['namespace', 'store'] as const, registers: [this.registry] });
  readonly lastSnapshotSucceeded = new Gauge({ name: 'redwing_last_snapshot_succeeded', help: '1 when the last snapshot succeeded, 0 when it failed.', labelNames: ['namespace', 'store'] as const, registers: [this.registry] });
  readonly leader = new Gauge({ name: 'redwing_leader', help: '1 while this reconciler holds its lease.', registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'redwing_workqueue_depth', help: 'Stores waiting for a reconcile.', registers: [this.registry] });
  private readonly stores = new Map<string, StoreSeries>();

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'redwing_reconciler_' });
    for (const phase of PHASES) this.storesByPhase.set({ phase }, 0);
  }

  private removePodSeries(namespace: string, store: string, series: StoreSeries | undefined): void {
    for (const { pod, role } of series?.pods ?? []) {
      this.podRole.remove({ namespace, store, pod, role });
      this.podUp.remove({ namespace, store, pod });
      this.replicationLag.remove({ namespace, store, pod });
    }
  }

  private recountPhases(): void {
    const counts = new Map<string, number>(PHASES.map((phase) => [phase, 0]));
    for (const series of this.stores.values()) if (series.phase) counts.set(series.phase, (counts.get(series.phase) ?? 0) + 1);
    for (const [phase, count] of counts) this.storesByPhase.set({ phase }, count);
  }

  observeStore(key: string, status: KVStoreStatus): void {
    const [namespace, store] = key.split('/') as [string, string];
    this.removePodSeries(namespace, store, this.stores.get(key));
    const pods = (status.pods ?? []).map((pod) => ({ pod: pod.name, role: pod.role }));
    for (const pod of status.pods ?? []) {
      this.podRole.set({ namespace, store, pod: pod.name, role: pod.role }, 1);
      this.podUp.set({ namespace, store, pod: pod.name }, pod.replicationOffset !== undefined ? 1 : 0);
      if (pod.lagBytes !== undefined) this.replicationLag.set({ namespace, store, pod: pod.name }, pod.lagBytes);
    }
    this.observeLastRecords(namespace, store, status);
    this.stores.set(key, { phase: status.phase, pods });
    this.recountPhases();
  }

  private observeLastRecords(namespace: string, store: string, status: KVStoreStatus): void {
    const labels = { namespace, store };
    if (status.lastFailover) {
      this.lastFailoverDuration.set(labels, status.lastFailover.durationMs / 1000);
      this.lastFailoverTime.set(labels, Date.parse(status.lastFailover.time) / 1000);
    }
    if (status.lastSnapshot) {
      this.lastSnapshotTime.set(labels, Date.parse(status.lastSnapshot.time) / 1000);
      this.lastSnapshotSucceeded.set(labels, status.lastSnapshot.result === 'Succeeded' ? 1 : 0);
    }
  }

  forgetStore(key: string): void {
    const [namespace, store] = key.split('/') as [string, string];
    this.removePodSeries(namespace, store, this.stores.get(key));
    for (const gauge of [this.lastFailoverDuration, this.lastFailoverTime, this.lastSnapshotTime, this.lastSnapshotSucceeded]) gauge.remove({ namespace, store });
    this.stores.delete(key);
    this.recountPhases();
  }
}

export interface HealthSource {
  /** Alive: the process runs its loops. */
  healthy(): boolean;
  /** Ready: caches synced (a standby is ready too: it is ready to take over). */
  ready(): boolean;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: ReconcilerMetrics, health: HealthSource, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const ok = health.healthy();
      response.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'unhealthy');
    } else if (path === '/readyz') {
      const ok = health.ready();
      response.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'not ready: caches not synced');
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
