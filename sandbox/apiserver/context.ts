/**
 * Per-request context and the query options every verb shares (dryRun, fieldManager, fieldValidation).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from './registry.js';
import { fieldError, invalid } from './status-errors.js';
import type { UserInfo } from './types.js';

/** A request as the HTTP server hands it to the router: authenticated, body read, not yet parsed. */
export interface RawRequest {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  user: UserInfo;
  serverAddress: string;
}

export interface RequestContext {
  method: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  user: UserInfo;
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** Warning header texts, emitted as `299 - "<text>"` */
  warnings: string[];
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function header(ctx: Pick<RequestContext, 'headers'>, name: string): string | undefined {
  const value = ctx.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `dryRun=All` → true; anything else but absent → 422 on the options kind (golden 31 #15). */
export function parseDryRun(query: URLSearchParams, optionsKind: string): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.every((v) => v === 'All')) return true;
  const shown = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
  throw invalid(optionsKind, 'meta.k8s.io', '', [{ ...fieldError('FieldValueNotSupported', 'dryRun', 'supported values: "All"'), message: `Unsupported value: ${shown}: supported values: "All"` }]);
}

/** The default field manager is the User-Agent up to the first '/' (golden README). */
export function fieldManagerOf(ctx: Pick<RequestContext, 'headers' | 'query'>): string {
  const explicit = ctx.query.get('fieldManager');
  if (explicit) return explicit;
  const agent = header(ctx, 'user-agent') ?? '';
  const manager = agent.split('/')[0] ?? '';
  return manager === '' ? 'unknown' : manager;
}

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const value = query.get('fieldValidation');
  if (value === 'Strict' || value === 'Ignore') return value;
  return 'Warn';
}
