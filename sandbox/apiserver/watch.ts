/**
 * Watch: newline-delimited JSON events over a chunked response, from a resourceVersion (replayed from the
 * store's history), with selector transitions, bookmarks, initial events and 410 ERROR events (golden 09–12).
 */
import type { ServerResponse } from 'node:http';
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { matchesSelectors, parseResourceVersion, parseSelectors } from './read.js';
import { apiVersionOf, storageKey } from './registry.js';
import { ApiError, invalid, fieldError } from './status-errors.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export type WatchEncoder = (type: string, object: unknown) => string;

const BOOKMARK_INTERVAL_MS = 60_000;

export interface WatchHandle {
  close(): void;
}

export function startWatch(core: ApiCore, ctx: RequestContext, res: ServerResponse, encode: WatchEncoder, onClose: () => void): WatchHandle {
  const selectors = parseSelectors(ctx);
  const rvParam = ctx.query.get('resourceVersion') ?? '';
  const sendInitialEvents = ctx.query.get('sendInitialEvents') === 'true';
  const allowBookmarks = ctx.query.get('allowWatchBookmarks') === 'true' || ctx.query.get('allowWatchBookmarks') === '1';
  if (sendInitialEvents && ctx.query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw invalid('ListOptions', 'meta.k8s.io', '', [fieldError('FieldValueForbidden', 'resourceVersionMatch', "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")]);
  }
  const fromRv = rvParam === '' ? undefined : parseResourceVersion(rvParam);
  const timeoutSeconds = Number(ctx.query.get('timeoutSeconds') ?? '0');
  const key = storageKey(ctx.type);
  const apiVersion = apiVersionOf(ctx.type);
  const inScope = (o: KubeObject): boolean => ctx.namespace === undefined || o.metadata.namespace === ctx.namespace;
  const typed = (o: KubeObject): KubeObject => ({ ...o, apiVersion, kind: ctx.type.kind });

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let closed = false;
  let lastRv = fromRv ?? core.store.currentRevision();
  const write = (type: string, object: unknown): void => {
    if (!closed) res.write(encode(type, object));
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(lastRv), creationTimestamp: null };
    if (annotations) metadata.annotations = annotations;
    write('BOOKMARK', { kind: ctx.type.kind, apiVersion, metadata });
  };

  const deliver = (event: StoreEvent): void => {
    if (event.resource !== key || event.rv <= lastRv) return;
    lastRv = event.rv;
    if (!inScope(event.object)) return;
    const matchesNew = event.type !== 'DELETED' && matchesSelectors(selectors, event.object);
    const matchesOld = event.oldObject !== undefined && matchesSelectors(selectors, event.oldObject);
    if (event.type === 'ADDED') {
      if (matchesNew) write('ADDED', typed(event.object));
    } else if (event.type === 'MODIFIED') {
      if (matchesNew && matchesOld) write('MODIFIED', typed(event.object));
      else if (matchesNew) write('ADDED', typed(event.object));
      else if (matchesOld) write('DELETED', typed({ ...event.oldObject!, metadata: { ...event.oldObject!.metadata, resourceVersion: String(event.rv) } }));
    } else if (matchesSelectors(selectors, event.object)) {
      write('DELETED', typed(event.object));
    }
  };

  // events published while we replay are buffered, then delivered in order
  const pending: StoreEvent[] = [];
  let replaying = true;
  const unsubscribe = core.store.subscribe((event) => {
    if (replaying) pending.push(event);
    else deliver(event);
  });

  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    res.end();
    onClose();
  };
  res.on('close', close);

  if (fromRv === undefined || fromRv === 0 || sendInitialEvents) {
    const current = core.store.currentRevision();
    for (const object of core.store.list(key, ctx.namespace)) if (matchesSelectors(selectors, object)) write('ADDED', typed(object));
    lastRv = Math.max(current, fromRv ?? 0);
    if (allowBookmarks && (sendInitialEvents || fromRv === undefined)) {
      bookmark({ 'k8s.io/initial-events-end': 'true', ...(sendInitialEvents ? { 'kubernetes.io/initial-events-list-blueprint': Buffer.from(JSON.stringify({ kind: ctx.type.listKind, apiVersion, metadata: {}, items: null })).toString('base64') } : {}) });
    }
  } else {
    const history = core.store.eventsSince(fromRv);
    if (!history) {
      const status = new ApiError(410, 'Expired', `too old resource version: ${fromRv} (${core.store.compacted() + 1})`).toStatus();
      write('ERROR', status);
      replaying = false;
      close();
      return { close };
    }
    for (const event of history) deliver(event);
  }
  replaying = false;
  for (const event of pending.splice(0)) deliver(event);

  const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timer = setTimeout(close, timeoutMs);
  if (allowBookmarks) {
    bookmarkTimer = setInterval(() => bookmark(), Math.min(BOOKMARK_INTERVAL_MS, Math.max(1000, timeoutMs - 1000)));
    bookmarkTimer.unref();
  }
  timer.unref();
  return { close };
}
