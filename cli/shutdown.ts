/**
 * Graceful shutdown for long-running commands: the first SIGINT/SIGTERM stops things in order, saying what it stops,
 * a second one exits at once.
 */
import type { Logger } from '../shared/logger.js';

export function waitForShutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down (press Ctrl-C again to exit at once)');
      process.once(signal, () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

export interface StopOptions {
  /** A stop that takes longer is reported by name and left behind, so one stuck part cannot hold the others. */
  stepTimeoutMs?: number;
}

/** The default per-step limit: the whole of `redwing start`'s stop must stay under 3 s. */
const STEP_TIMEOUT_MS = 2500;

/**
 * Runs the stops one after another (last started, first stopped), logging each one's name before and how long it took
 * after, and never lets one failure or hang skip the rest.
 */
export async function stopInOrder(logger: Logger, stops: Array<[string, () => Promise<void>]>, options: StopOptions = {}): Promise<void> {
  const stepTimeoutMs = options.stepTimeoutMs ?? STEP_TIMEOUT_MS;
  const startedAt = Date.now();
  for (const [name, stop] of stops) {
    const stepStartedAt = Date.now();
    logger.info({ component: name }, `stopping ${name}`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), stepTimeoutMs); });
    try {
      const outcome = await Promise.race([stop().then(() => 'stopped' as const), timedOut]);
      if (outcome === 'timeout') logger.warn({ component: name, timeoutMs: stepTimeoutMs }, `${name} did not stop in time; going on without it`);
      else logger.info({ component: name, durationMs: Date.now() - stepStartedAt }, `stopped ${name}`);
    } catch (error: unknown) {
      logger.error({ err: error, component: name }, 'failed to stop cleanly');
    } finally {
      clearTimeout(timer);
    }
  }
  logger.info({ durationMs: Date.now() - startedAt }, 'everything stopped');
}
