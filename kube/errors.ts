import { errorMessage } from '../shared/error-message.js';
/**
 * The one way to read an API error. KubeClient rejects with ApiStatusError; while parts of the code still call
 * @kubernetes/client-node, its ApiException (`code`, a JSON string `body`) and older HttpError (`statusCode`,
 * parsed `body`) are understood too, so callers never care which client failed.
 */

export class ApiStatusError extends Error {
  /** `body` is the API server's Status object, when it sent one. */
  constructor(readonly statusCode: number, readonly reason: string | undefined, message: string, readonly body?: unknown) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** A Status body, parsed when a client handed it over as a string. */
function statusBodyOf(error: unknown): unknown {
  const body = field(error, 'body');
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The HTTP status of an API error, or of a Status object (a watch's ERROR event); undefined for anything else. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof ApiStatusError) return error.statusCode;
  for (const candidate of [field(error, 'statusCode'), field(error, 'code'), field(statusBodyOf(error), 'code')]) {
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

/** The API server's own message (the Status body's), else the error's. */
export function apiErrorMessage(error: unknown): string {
  const message = field(statusBodyOf(error), 'message');
  if (typeof message === 'string' && message !== '') return message;
  return errorMessage(error);
}

/** Whether the error is an API answer with one of `codes`. */
export function isStatus(error: unknown, ...codes: number[]): boolean {
  const code = statusCodeOf(error);
  return code !== undefined && codes.includes(code);
}

export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;
export const isAlreadyExists = (error: unknown): boolean => statusCodeOf(error) === 409 && field(statusBodyOf(error), 'reason') === 'AlreadyExists';
