/**
 * The one logger factory: structured JSON logs through pino. Secrets never reach the logs: known secret-bearing
 * paths are redacted (passwords, tokens, keys, Secret data, AdmissionReview objects of Secrets).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

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

export function createLogger(name: string, options: LoggerFactoryOptions = {}): Logger {
  const level = options.level ?? process.env.REDWING_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
  const config: LoggerOptions = { name, level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } };
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}
