/** Graceful shutdown for long-running commands: the first SIGINT/SIGTERM stops things in order, a second one exits. */
import type { Logger } from '../shared/logger.js';

export function waitForShutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.once(signal, () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** Runs the stops one after another (last started, first stopped) and never lets one failure skip the rest. */
export async function stopInOrder(logger: Logger, stops: Array<[string, () => Promise<void>]>): Promise<void> {
  for (const [name, stop] of stops) {
    try {
      await stop();
    } catch (error: unknown) {
      logger.error({ err: error, component: name }, 'failed to stop cleanly');
    }
  }
}
