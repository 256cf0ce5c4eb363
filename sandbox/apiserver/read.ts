/**
 * GET and LIST: selectors, limit/continue over a consistent snapshot, resourceVersion semantics (golden 07, 08, 11).
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { apiVersionOf, storageKey } from './registry.js';
import type { FieldRequirement, LabelRequirement } from './selectors.js';
import { checkFieldSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, fieldError, gone, invalid, notFound, plainServerError } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';

export function getObject(core: ApiCore, ctx: RequestContext): KubeObject {
  const object = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name ?? '');
  if (!object) throw notFound(ctx.type, ctx.name ?? '');
  object.apiVersion = apiVersionOf(ctx.type);
  object.kind = ctx.type.kind;
  return object;
}

export interface Selectors {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function parseSelectors(ctx: RequestContext): Selectors {
  const labels = parseLabelSelector(ctx.query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(ctx.query.get('fieldSelector') ?? '');
  checkFieldSelector(storageKey(ctx.type), fields, ctx.type.custom?.selectableFields);
  return { labels, fields };
}

export function matchesSelectors(selectors: Selectors, object: KubeObject): boolean {
  return matchesLabels(selectors.labels, object.metadata.labels) && matchesFields(selectors.fields, object);
}

export function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value)) throw plainServerError(`resourceVersion: Invalid value: ${JSON.stringify(value)}: strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${start}\u0000` })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof decoded.rv !== 'number' || typeof decoded.start !== 'string') throw new Error('bad token');
    return { rv: decoded.rv, start: decoded.start.replace(/\u0000$/, '') };
  } catch {
    // Go's JSON decoder names the first offending character, %q-quoted
    const first = Buffer.from(token, 'base64url').toString('latin1').trimStart()[0] ?? '';
    const shown = /^[\x20-\x7e]$/.test(first) ? first : `\\u${first.charCodeAt(0).toString(16).padStart(4, '0')}`;
    throw badRequest(`invalid continue token: continue key is not valid: invalid character '${shown}' looking for beginning of value`);
  }
}

function itemKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

async function waitForRevision(core: ApiCore, rv: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (core.store.currentRevision() < rv && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (core.store.currentRevision() < rv) {
    throw new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${core.store.currentRevision()}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  }
}

export async function listObjects(core: ApiCore, ctx: RequestContext): Promise<JsonObject> {
  const selectors = parseSelectors(ctx);
  const key = storageKey(ctx.type);
  const continueToken = ctx.query.get('continue') ?? '';
  const rvParam = ctx.query.get('resourceVersion') ?? '';
  const rvMatch = ctx.query.get('resourceVersionMatch') ?? '';
  let limit = Number(ctx.query.get('limit') ?? '0');
  if (!Number.isFinite(limit) || limit < 0) limit = 0;

  const optionErrors = [];
  if (rvMatch !== '' && rvParam === '') optionErrors.push(fieldError('FieldValueForbidden', 'resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
  if (ctx.query.get('sendInitialEvents') !== null) optionErrors.push(fieldError('FieldValueForbidden', 'sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  if (optionErrors.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', optionErrors);
  let listRv = core.store.currentRevision();
  let items: KubeObject[] | undefined;
  let start = '';
  if (continueToken !== '') {
    if (rvParam !== '' && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(continueToken);
    items = core.store.listAt(key, ctx.namespace, token.rv);
    if (!items) {
      throw gone(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        { continue: Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: -1, start: `${token.start}\u0000` })).toString('base64url') },
      );
    }
    listRv = token.rv;
    start = token.start;
  } else if (rvParam !== '') {
    const rv = parseResourceVersion(rvParam);
    if (rv === 0 && rvMatch !== 'Exact') limit = 0;
    else if (rvMatch === 'Exact') {
      await waitForRevision(core, rv);
      items = core.store.listAt(key, ctx.namespace, rv);
      if (!items) throw gone('The resourceVersion for the provided list is too old.');
      listRv = rv;
    } else await waitForRevision(core, rv);
  }
  items ??= core.store.list(key, ctx.namespace);

  let matched = items.filter((o) => matchesSelectors(selectors, o) && (start === '' || itemKey(o) > start));
  const metadata: JsonObject = { resourceVersion: String(listRv) };
  if (limit > 0 && matched.length > limit) {
    const remaining = matched.length - limit;
    matched = matched.slice(0, limit);
    metadata.continue = encodeContinue(listRv, itemKey(matched[matched.length - 1]!));
    if (selectors.labels.length === 0 && selectors.fields.length === 0) metadata.remainingItemCount = remaining;
  } else if (ctx.type.custom) metadata.continue = '';
  const apiVersion = apiVersionOf(ctx.type);
  const rendered = matched.map((o) => {
    if (ctx.type.custom) return { ...o, apiVersion, kind: ctx.type.kind };
    const copy: KubeObject = { ...o };
    delete copy.apiVersion;
    delete copy.kind;
    return copy;
  });
  return { kind: ctx.type.listKind, apiVersion, metadata, items: rendered };
}
