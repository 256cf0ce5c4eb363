/**
 * Whether a BGSAVE is done, and how it went, from two `INFO persistence` answers: one read before the command and
 * the current one. Pure, so every engine's field set is tested without a server.
 *
 * Redis/Valkey: `rdb_bgsave_in_progress`, `rdb_saves` (forks started, failures included), `rdb_last_save_time`
 * (seconds, successful saves only) and `rdb_last_bgsave_status`. `rdb_last_save_time` alone cannot tell a save that
 * finished within the same second as the previous one (or as the server start), so the fork counter decides when
 * present. Dragonfly reports `saving`, `last_success_save` and `last_failed_save`/`last_error` instead (untested).
 */
import { parseInfo } from '../replication/info.js';

export type BgsaveReply = 'started' | 'scheduled' | 'alreadyInProgress';

export interface PersistenceSample {
  inProgress: boolean;
  /** Forks started since the server started (Redis >= 7 and Valkey). */
  saves?: number;
  /** Unix seconds of the last successful save. */
  lastSaveTime?: number;
  /** Unix seconds of the last failed save (Dragonfly). */
  lastFailedSaveTime?: number;
  /** `ok` / `err` (Redis), or undefined when the engine does not report it. */
  lastStatus?: string;
  lastError?: string;
  /** Which field set the engine answered with. */
  fields: 'redis' | 'dragonfly' | 'unknown';
}

function toInt(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : undefined;
}

export function parsePersistence(infoText: string): PersistenceSample {
  const fields = parseInfo(infoText);
  if (fields.rdb_bgsave_in_progress !== undefined) {
    return {
      fields: 'redis',
      inProgress: fields.rdb_bgsave_in_progress === '1',
      saves: toInt(fields.rdb_saves),
      lastSaveTime: toInt(fields.rdb_last_save_time),
      lastStatus: fields.rdb_last_bgsave_status,
    };
  }
  if (fields.saving !== undefined || fields.last_success_save !== undefined) {
    return {
      fields: 'dragonfly',
      inProgress: fields.saving === '1',
      lastSaveTime: toInt(fields.last_success_save),
      lastFailedSaveTime: toInt(fields.last_failed_save),
      lastError: fields.last_error || undefined,
    };
  }
  return { fields: 'unknown', inProgress: false };
}

/** The reply to BGSAVE; undefined for a reply that means the save was refused. */
export function classifyBgsaveReply(reply: string): BgsaveReply | undefined {
  if (/already in progress/i.test(reply)) return 'alreadyInProgress';
  if (/scheduled/i.test(reply)) return 'scheduled';
  if (/started|^OK$/i.test(reply)) return 'started';
  return undefined;
}

export type BgsaveProgress =
  | { state: 'running' }
  | { state: 'done'; ok: true }
  | { state: 'done'; ok: false; error: string }
  | { state: 'unknown'; error: string };

export function judgeBgsave(before: PersistenceSample, current: PersistenceSample, reply: BgsaveReply): BgsaveProgress {
  if (current.fields === 'unknown') return { state: 'unknown', error: 'the engine reports no known INFO persistence fields, so the save cannot be confirmed' };
  if (current.inProgress) return { state: 'running' };
  if (current.fields === 'dragonfly') {
    if (current.lastFailedSaveTime !== undefined && current.lastFailedSaveTime > (before.lastFailedSaveTime ?? 0)) {
      return { state: 'done', ok: false, error: current.lastError ?? 'the save failed' };
    }
    if (current.lastSaveTime !== undefined && current.lastSaveTime > (before.lastSaveTime ?? 0)) return { state: 'done', ok: true };
    // Not saving and nothing recorded yet: the save may not have begun; the caller's timeout bounds the wait.
    return { state: 'running' };
  }
  const forked = current.saves !== undefined && before.saves !== undefined
    ? current.saves > before.saves
    : current.lastSaveTime !== undefined && before.lastSaveTime !== undefined && current.lastSaveTime > before.lastSaveTime;
  // `started`: the fork happened before the reply, so "not in progress" now means it ended. `alreadyInProgress`: the
  // save that was running has ended. `scheduled` (an AOF rewrite ran first) needs to see its own fork.
  const ended = forked || reply === 'started' || reply === 'alreadyInProgress';
  if (!ended) return { state: 'running' };
  if (current.lastStatus === 'ok') return { state: 'done', ok: true };
  return { state: 'done', ok: false, error: `rdb_last_bgsave_status is ${current.lastStatus ?? 'not reported'}` };
}
