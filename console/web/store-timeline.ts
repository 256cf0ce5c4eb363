/**
 * The failover history: `status.lastFailover` (the reconciler keeps only the last) merged with the Events that
 * tell of earlier ones (FailedOver, MasterElected, SplitBrainResolved, ...), newest first. The entries are pure.
 */
import { el } from './dom.js';
import type { EventRow } from './feed-rows.js';

export interface StoreObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec?: {
    engine?: string; image?: string; replicas?: number; config?: Record<string, string>;
    snapshot?: { cron?: string; dir?: string; onShutdown?: boolean };
    persistence?: { enabled?: boolean; keepAfterDeletion?: boolean };
    authentication?: { enabled?: boolean };
  };
  status?: {
    phase?: string; master?: string; readyReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
    pods?: Array<{ name: string; role?: string; ready?: boolean; replicationOffset?: number; lagBytes?: number }>;
    lastFailover?: { time: string; from: string; to: string; reason: string; durationMs: number };
    lastSnapshot?: { time: string; pod: string; result: string; durationMs: number };
  };
}

export interface TimelineEntry {
  time: string;
  title: string;
  detail: string;
}

const FAILOVER_REASONS = new Set(['FailedOver', 'MasterElected', 'Switchover', 'SwitchoverRefused', 'SwitchoverFailed', 'SplitBrainResolved', 'DataLossPossible', 'Degraded', 'Recovered']);

export function timelineEntries(store: StoreObject, events: readonly EventRow[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const last = store.status?.lastFailover;
  if (last) entries.push({ time: last.time, title: `Failover ${last.from} → ${last.to}`, detail: `${last.reason}, ${last.durationMs} ms (status.lastFailover)` });
  for (const event of events) {
    if (!FAILOVER_REASONS.has(event.reason) || !event.object.startsWith('KVStore/')) continue;
    entries.push({ time: event.time, title: event.reason, detail: event.message + (event.count > 1 ? ` (×${event.count})` : '') });
  }
  return entries.sort((a, b) => b.time.localeCompare(a.time));
}

export function failoverTimeline(store: StoreObject, events: readonly EventRow[]): HTMLElement {
  const entries = timelineEntries(store, events);
  if (entries.length === 0) return el('p', { id: 'timeline', class: 'muted' }, 'No failover so far.');
  return el('ul', { id: 'timeline', class: 'timeline' },
    ...entries.map((entry) => el('li', { 'data-title': entry.title }, el('strong', {}, entry.title), ' ', el('span', { class: 'muted' }, new Date(entry.time).toLocaleString()), el('div', {}, entry.detail))));
}
