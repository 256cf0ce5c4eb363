import { pino, type Logger } from 'pino';

/**
 * The logger of a sandbox started by a test or a benchmark: warnings and errors on stderr, which the test runner
 * prints as `#` lines next to the failing test. A silent sandbox once left a CI failure with nothing to go on.
 * SANDBOX_LOG_LEVEL=debug shows everything.
 */
export function sandboxTestLogger(): Logger {
  return pino({ level: process.env.SANDBOX_LOG_LEVEL ?? 'warn', name: 'sandbox' }, pino.destination(2));
}
