/**
 * What happened to the store's pods during a rollout, polled every 100 ms through the API (pod recreated or its
 * readiness changed, role label moved, status.master changed, the master Service's endpoints changed), so the
 * longest write pause can be placed in the rollout's phases.
 */
import { getStore, listStorePods } from '../harness/sandbox-cluster.js';
import type { WriterReport } from '../harness/writer.js';
import type { SandboxStore } from './failover-sandbox-store.js';

export interface TimelineEntry {
  atMs: number;
  what: string;
}

export function startTimeline(store: SandboxStore, sinceMs: number): { stop(): Promise<TimelineEntry[]> } {
  const entries: TimelineEntry[] = [];
  let running = true;
  const uids = new Map<string, string>();
  let labelledMaster: string | undefined;
  let statusMaster: string | undefined;
  const readiness = new Map<string, boolean>();
  let endpoints = '';
  const note = (what: string) => entries.push({ atMs: Date.now() - sinceMs, what });
  const loop = (async () => {
    for (let first = true; running; first = false) {
      try {
        const [pods, current, slices] = await Promise.all([
          listStorePods(store.cluster.client, store.name), getStore(store.cluster.client, store.name),
          store.cluster.client.list<EndpointSlice>(`/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`, `kubernetes.io/service-name=${store.name}`),
        ]);
        for (const pod of pods) {
          if (!first && uids.get(pod.name) !== pod.uid) note(`${pod.name} recreated`);
          else if (!first && readiness.get(pod.name) !== pod.ready) note(`${pod.name} ${pod.ready ? 'ready' : 'not ready'}`);
          uids.set(pod.name, pod.uid);
          readiness.set(pod.name, pod.ready);
        }
        const now = describeEndpoints(slices.items);
        if (!first && now !== endpoints) note(`master Service endpoints [${now}]`);
        endpoints = now;
        const master = pods.find((pod) => pod.role === 'master')?.name;
        if (!first && master !== labelledMaster) note(`master label ${labelledMaster ?? 'none'}→${master ?? 'none'}`);
        labelledMaster = master;
        if (!first && current.status?.master !== statusMaster) note(`status.master ${statusMaster}→${current.status?.master}`);
        statusMaster = current.status?.master;
      } catch {
        // A failed poll is a gap in the timeline, not a failed benchmark.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let stopped: Promise<TimelineEntry[]> | undefined;
  return {
    // Idempotent: a trial stops it when done and again in its cleanup.
    stop() {
      stopped ??= (async () => {
        running = false;
        await loop;
        for (const line of store.log.switchovers.filter((entry) => entry.atMs >= sinceMs)) {
          entries.push({ atMs: line.atMs - line.durationMs - sinceMs, what: 'switchover started (log)' });
          entries.push({ atMs: line.atMs - sinceMs, what: `switchover ${line.ok ? 'done' : 'FAILED'} in ${line.durationMs} ms (log)` });
        }
        return entries.sort((a, b) => a.atMs - b.atMs);
      })();
      return stopped;
    },
  };
}

interface EndpointSlice {
  endpoints?: Array<{ targetRef?: { name?: string }; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }>;
}

/** The master Service's endpoints as "pod(ready|serving|terminating)", what the service proxy routes by. */
function describeEndpoints(slices: EndpointSlice[]): string {
  return slices.flatMap((slice) => slice.endpoints ?? []).map((endpoint) => {
    const state = endpoint.conditions?.ready ? 'ready' : endpoint.conditions?.serving ? 'serving' : endpoint.conditions?.terminating ? 'terminating' : 'not ready';
    return `${endpoint.targetRef?.name ?? '?'} ${state}`;
  }).sort().join(', ');
}

export interface PauseDetail {
  startMs: number;
  endMs: number;
  /** Distinct error messages of the attempts inside the pause, with counts. */
  errors: string;
}

/** The longest gap between acknowledged writes ending at or after `fromMs`, relative to `fromMs`, and its errors. */
export function longestPauseDetail(report: WriterReport, fromMs: number): PauseDetail | undefined {
  let best: { start: number; end: number } | undefined;
  for (let i = 1; i < report.ackTimesMs.length; i += 1) {
    const end = report.ackTimesMs[i]!;
    const start = report.ackTimesMs[i - 1]!;
    if (end >= fromMs && (!best || end - start > best.end - best.start)) best = { start, end };
  }
  if (!best) return undefined;
  const counts = new Map<string, number>();
  for (const error of report.errors) {
    if (error.atMs >= best.start && error.atMs <= best.end) counts.set(error.message, (counts.get(error.message) ?? 0) + 1);
  }
  const errors = [...counts].map(([message, count]) => `${message.slice(0, 80)} ×${count}`).join('; ') || 'none (slow, not failing)';
  return { startMs: best.start - fromMs, endMs: best.end - fromMs, errors };
}
