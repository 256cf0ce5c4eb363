/**
 * One BGSAVE on one engine pod: read `INFO persistence`, send BGSAVE, poll until the save ends or the timeout passes.
 * Never throws: every failure (connection, refusal, timeout) is a result with a reason, because the caller turns it
 * into a condition and an Event. The connection is the reconciler's usual engine connection (password, TLS).
 */
import { errorMessage } from '../../shared/error-message.js';
import { openEngineConnection, closeEngineConnection, type EngineClient, type EngineEndpoint } from '../replication/engine-connection.js';
import { classifyBgsaveReply, judgeBgsave, parsePersistence, type BgsaveReply, type PersistenceSample } from './bgsave-progress.js';
import { sleepUnlessAborted } from '../../shared/abortable-sleep.js';

/** A large dataset on a slow disk takes minutes; longer than this and something is wrong. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SNAPSHOT_POLL_INTERVAL_MS = 250;
/** BGSAVE answers after the fork, which for a big dataset takes longer than the usual 2 s command timeout. */
const BGSAVE_COMMAND_TIMEOUT_MS = 30_000;

export interface RunBgsaveOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  connectTimeoutMs?: number;
  /** Dragonfly's BGSAVE takes a format and file name, not SCHEDULE. */
  engine?: 'redis' | 'valkey' | 'dragonfly';
  /** Aborted on shutdown: stop waiting (the engine finishes the save on its own). */
  signal?: AbortSignal;
}

export type BgsaveFailureReason = 'EngineUnreachable' | 'BgsaveRefused' | 'BgsaveFailed' | 'BgsaveTimedOut' | 'SaveUnconfirmed' | 'Aborted';

export type BgsaveResult =
  | { ok: true; durationMs: number; reply: BgsaveReply }
  | { ok: false; durationMs: number; reason: BgsaveFailureReason; error: string };

async function readPersistence(client: EngineClient): Promise<PersistenceSample> {
  return parsePersistence(String(await client.call('INFO', 'persistence')));
}

export async function runBgsave(endpoint: EngineEndpoint, options: RunBgsaveOptions = {}): Promise<BgsaveResult> {
  const startedAtMs = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
  const elapsed = () => Date.now() - startedAtMs;
  let client: EngineClient;
  try {
    client = await openEngineConnection(endpoint, { purpose: 'snapshot', connectTimeoutMs: options.connectTimeoutMs, commandTimeoutMs: BGSAVE_COMMAND_TIMEOUT_MS });
  } catch (error: unknown) {
    return { ok: false, durationMs: elapsed(), reason: 'EngineUnreachable', error: errorMessage(error) };
  }
  try {
    const before = await readPersistence(client);
    let reply: BgsaveReply | undefined;
    try {
      // SCHEDULE: with an AOF rewrite running, Redis queues the save instead of refusing it.
      const answer = String(options.engine === 'dragonfly' ? await client.call('BGSAVE') : await client.call('BGSAVE', 'SCHEDULE'));
      reply = classifyBgsaveReply(answer);
      if (!reply) return { ok: false, durationMs: elapsed(), reason: 'BgsaveRefused', error: `BGSAVE answered ${answer}` };
    } catch (error: unknown) {
      // An error reply: "Background save already in progress" means waiting for that one; anything else is a refusal.
      const message = errorMessage(error);
      if (classifyBgsaveReply(message) !== 'alreadyInProgress') return { ok: false, durationMs: elapsed(), reason: 'BgsaveRefused', error: message };
      reply = 'alreadyInProgress';
    }
    for (;;) {
      const progress = judgeBgsave(before, await readPersistence(client), reply);
      if (progress.state === 'done') {
        return progress.ok
          ? { ok: true, durationMs: elapsed(), reply }
          : { ok: false, durationMs: elapsed(), reason: 'BgsaveFailed', error: progress.error };
      }
      if (progress.state === 'unknown') return { ok: false, durationMs: elapsed(), reason: 'SaveUnconfirmed', error: progress.error };
      if (options.signal?.aborted) return { ok: false, durationMs: elapsed(), reason: 'Aborted', error: 'stopped waiting: the reconciler is shutting down' };
      if (elapsed() >= timeoutMs) {
        return { ok: false, durationMs: elapsed(), reason: 'BgsaveTimedOut', error: `the save did not finish within ${timeoutMs} ms` };
      }
      await sleepUnlessAborted(Math.min(options.pollIntervalMs ?? DEFAULT_SNAPSHOT_POLL_INTERVAL_MS, Math.max(1, timeoutMs - elapsed())), options.signal);
    }
  } catch (error: unknown) {
    return { ok: false, durationMs: elapsed(), reason: 'EngineUnreachable', error: errorMessage(error) };
  } finally {
    closeEngineConnection(client);
  }
}
