/**
 * Replication silence: whether a replica still vouches for a master that stopped answering the operator, judged to
 * the millisecond instead of by master_last_io_seconds_ago (whole seconds, so a hung master used to look alive to its
 * replicas for 3–4 s).
 *
 * A live master sends its replicas at least a PING every repl-ping-replica-period (1 s as Redwing renders it), so
 * the offset a replica has read moves at least that often while the master is alive, even when nobody writes and
 * even when only the operator is cut off from it. A hung master (SIGSTOP, a stalled process, a node whose processes
 * froze) keeps its TCP links open but sends nothing: the offset stands still. So a replica whose offset has not moved
 * for a ping period plus a margin no longer vouches for its master. The health monitor samples the replicas from the
 * first late ping on, so that window runs alongside downAfterMilliseconds instead of after it.
 *
 * When did the offset start standing still? At the earliest, when a sample first showed it; but a first sample at or
 * below the offset the master reported in its last answer to the operator means the replica has received nothing the
 * master produced since that answer, so the silence started then. Later samples with the same offset keep the start;
 * any movement restarts it (a lagging replica still reading its backlog is traffic). Both bounds are late, never
 * early, and the monitor judges a round at the time it started: silence is underestimated, never overestimated. Dragonfly reports no offsets: its replicas are judged by
 * the link state and master_last_io_seconds_ago alone (monitor-channels.ts). Pure.
 */
import type { ReplicaView } from './monitor-channels.js';

/**
 * Above the ping period: the master's cron jitter and the trip to the replica. The sampling's own error is not in
 * it: a new offset counts from when its sample returned, a round is judged at the time it started.
 */
export const SILENCE_MARGIN_MS = 100;

export interface OffsetMark {
  offset: number;
  /** Since when the replica's offset has stood still (ms, monitor clock). */
  sinceMs: number;
  /** The offset moved between two samples: traffic after the master went quiet to the operator. */
  moved: boolean;
}

/** The master's last answer to the operator: its stream offset then. */
export interface LastAnswer {
  offset: number;
  atMs: number;
}

/** The mark after a new sample of the replica's read offset taken at `sampledAtMs`. */
export function nextMark(previous: OffsetMark | undefined, offset: number, sampledAtMs: number, lastAnswer: LastAnswer | undefined): OffsetMark {
  if (previous && previous.offset === offset) return previous;
  if (!previous && lastAnswer && offset <= lastAnswer.offset) return { offset, sinceMs: Math.min(lastAnswer.atMs, sampledAtMs), moved: false };
  return { offset, sinceMs: sampledAtMs, moved: previous !== undefined };
}

/** Longest window worth waiting out before reporting "cut off from the operator only" (a ping period of 1 s). */
export const MAX_UNDECIDED_WINDOW_MS = 2000;

/**
 * Neither verdict yet: the replica sees the master by its link, and its offset has not moved since the sampling began,
 * but not for a whole window. Its master may be hung (it never moves again) or alive and idle (the next PING moves it).
 * Only a short window is waited out; with a long ping period the partition is reported meanwhile, as before.
 */
export function undecided(view: ReplicaView, mark: OffsetMark | undefined, nowMs: number, windowMs: number): boolean {
  return windowMs <= MAX_UNDECIDED_WINDOW_MS && view.seesMaster && view.offset !== undefined && mark !== undefined
    && mark.offset === view.offset && !mark.moved && nowMs - mark.sinceMs < windowMs;
}

/** How long a replica's offset may stand still while its master is alive. */
export function silenceWindowMs(pingPeriodSeconds: number): number {
  return pingPeriodSeconds * 1000 + SILENCE_MARGIN_MS;
}

/**
 * The replica's view with its offset's silence taken into account: a view that sees the master (link up, recent
 * I/O in whole seconds) is turned into 'stale' when the offset has stood still for `windowMs` or more at `nowMs`.
 */
export function judgeBySilence(view: ReplicaView, mark: OffsetMark | undefined, nowMs: number, windowMs: number): ReplicaView {
  if (!view.seesMaster || view.offset === undefined || !mark || mark.offset !== view.offset) return view;
  const silentMs = nowMs - mark.sinceMs;
  if (silentMs < windowMs) return view;
  return { ...view, seesMaster: false, status: 'stale', detail: `link up but no replication traffic for ${silentMs} ms (offset ${view.offset}; a live master sends at least every ${windowMs - SILENCE_MARGIN_MS} ms)` };
}
