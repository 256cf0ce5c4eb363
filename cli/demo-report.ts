/** The demo's words: the live line and the failover summary, as pure functions of what was measured. */
import type { FailoverRecord } from '../shared/schema/kvstore.js';

export interface LiveSample {
  elapsedS: number;
  master?: string;
  pingMs?: number;
  writesPerSecond: number;
  acknowledged: number;
  failing: boolean;
}

const count = (value: number): string => value.toLocaleString('en-US');

export function liveLine(sample: LiveSample): string {
  const ping = sample.pingMs === undefined ? 'ping -' : `ping ${sample.pingMs.toFixed(1)} ms`;
  const state = sample.failing ? 'writes FAILING' : `${count(sample.writesPerSecond)} writes/s`;
  return `[${sample.elapsedS.toFixed(0).padStart(4)} s] master ${sample.master ?? '?'} · ${ping} · ${state} · ${count(sample.acknowledged)} acknowledged`;
}

/** A line of the failover as it happens, stamped with the time since the master was removed. */
export function eventLine(sinceRemovalMs: number, text: string): string {
  return `  +${String(Math.round(sinceRemovalMs)).padStart(5)} ms  ${text}`;
}

export interface FailoverOutcome {
  oldMaster: string;
  newMaster?: string;
  record?: FailoverRecord;
  /** ms from the removal to the first acknowledged write after writes failed; undefined if they never failed */
  firstWriteMs?: number;
  /** ms without any acknowledged write around the removal (last before, first after) */
  unavailableMs?: number;
  checked: number;
  lost: number;
}

export function failoverSummary(outcome: FailoverOutcome): string[] {
  const lines: string[] = [];
  if (outcome.newMaster && outcome.newMaster !== outcome.oldMaster) {
    const how = outcome.record && outcome.record.to === outcome.newMaster
      ? ` (${outcome.record.reason}; detection to promotion ${outcome.record.durationMs} ms)` : '';
    lines.push(`failover: ${outcome.oldMaster} -> ${outcome.newMaster}${how}`);
  } else {
    lines.push(`failover: ${outcome.oldMaster} is still the master${outcome.newMaster ? ' (it came back before a replica was promoted)' : ''}`);
  }
  lines.push(outcome.firstWriteMs === undefined
    ? 'writes never failed (the master Service moved before a write hit the old master)'
    : `first acknowledged write ${Math.round(outcome.firstWriteMs)} ms after the removal${outcome.unavailableMs === undefined ? '' : ` (no write acknowledged for ${Math.round(outcome.unavailableMs)} ms)`}`);
  lines.push(`keys lost: ${count(outcome.lost)} of ${count(outcome.checked)} acknowledged (every acknowledged key read back)`);
  return lines;
}
