/**
 * The one logger factory: structured JSON logs through pino. Secrets never reach the logs: known secret-bearing
 * paths are redacted (passwords, tokens, keys, Secret data, AdmissionReview objects of Secrets).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { formatLogLine } from './log-line-format.js';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization',
  'keyPem', '*.keyPem', 'caKeyPem', '*.caKeyPem', 'data', '*.data', 'stringData', '*.stringData',
  'secret.data', 'object.data', 'request.object.data', 'request.oldObject.data', 'requirepass', '*.requirepass',
  'masterauth', '*.masterauth',
];

export interface LoggerFactoryOptions {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to inspect the output. */
  destination?: NodeJS.WritableStream;
}

/**
 * A person at a terminal reads lines, not JSON; anything else (a pipe, a file, a log collector) gets JSON.
 * REDWING_LOG_FORMAT=json|pretty overrides the guess.
 */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): boolean {
  if (env.REDWING_LOG_FORMAT === 'json') return false;
  if (env.REDWING_LOG_FORMAT === 'pretty') return true;
  return stdoutIsTty;
}

/** pino writes one JSON line per call; each is reformatted on the way to `out`. */
export function prettyDestination(out: NodeJS.WritableStream, colour: boolean): pino.DestinationStream {
  return { write: (line: string) => { out.write(`${formatLogLine(line.trimEnd(), { colour })}\n`); } };
}

export function createLogger(name: string, options: LoggerFactoryOptions = {}): Logger {
  const level = options.level ?? process.env.REDWING_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
  const config: LoggerOptions = { name, level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } };
  if (options.destination) return pino(config, options.destination as pino.DestinationStream);
  if (wantsPrettyLogs(process.env, process.stdout.isTTY === true)) return pino(config, prettyDestination(process.stdout, process.stdout.isTTY === true));
  return pino(config);
}
