/** Figures shared by both modes of the failover benchmark: percentiles and what a writer's report says. */
import type { WriterReport } from '../harness/writer.js';

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summary(label: string, samples: number[]): string {
  if (samples.length === 0) return `${label.padEnd(34)} no samples`;
  return `${label.padEnd(34)} p50 ${percentile(samples, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(samples, 95).toFixed(0).padStart(6)} ms   max ${Math.max(...samples).toFixed(0).padStart(6)} ms   (n=${samples.length})`;
}

/** First failed write at or after `fromMs` to the first acknowledged write after it (0 when no write failed). */
export function unavailability(report: WriterReport, fromMs: number): number | undefined {
  const firstError = report.errors.find((e) => e.atMs >= fromMs);
  if (!firstError) return 0;
  // The first write acknowledged after that failure (the writer is sequential, so by position, not by clock).
  const recovered = report.ackTimesMs[firstError.ackedBefore];
  return recovered === undefined ? undefined : recovered - firstError.atMs;
}

/** The longest gap between two acknowledged writes ending at or after `fromMs`: how long writes were held. */
export function longestPause(report: WriterReport, fromMs: number): number {
  let pauseMs = 0;
  for (let i = 1; i < report.ackTimesMs.length; i += 1) {
    if (report.ackTimesMs[i]! >= fromMs) pauseMs = Math.max(pauseMs, report.ackTimesMs[i]! - report.ackTimesMs[i - 1]!);
  }
  return pauseMs;
}

export function defined<T>(values: Array<T | undefined>): T[] {
  return values.filter((value): value is T => value !== undefined);
}

export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
