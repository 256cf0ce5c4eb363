/**
 * `redwing console`: serves the page and a small JSON API, and relays to the API server with the credentials the
 * user logged in with (the kubeconfig the console was started with, or a bearer token typed at login), never an
 * identity of its own. Writes need the session's CSRF token; `readOnly` refuses every write before it is relayed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterAccess } from '../kube/cluster-access.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { ApiStatusError, apiErrorMessage, statusCodeOf } from '../kube/errors.js';
import { paths } from '../kube/paths.js';
import { errorMessage } from '../shared/error-message.js';
import type { Logger } from '../shared/logger.js';
import { parse as parseYaml } from 'yaml';
import { openEventStream, type EventStream } from './event-stream.js';
import { fieldErrorsOf } from './field-errors.js';
import { HttpError, isSameOrigin, readJsonBody, SECURITY_HEADERS, sendJson } from './http-io.js';
import { renderPage } from './page.js';
import { CSRF_HEADER, sameToken, sessionCookie, SessionStore, tokenAccess, type Session } from './sessions.js';
import {
  backUpStore, createStore, deleteStore, patchEditedStore, listPolicies, patchStoreConfig, readStoreSchema, replaceStore, requestSwitchover, rotateStorePassword, scaleStore,
} from './store-actions.js';
import { streamStoreDetail } from './store-detail-feed.js';
import { listStoreResources } from './store-resources.js';
import { streamStoreList } from './store-list-feed.js';
import { loadWebAssets } from './web-assets.js';

export interface ConsoleOptions {
  /** the cluster: its server and CA are used for token logins */
  access: ClusterAccess;
  /** offer "continue with the kubeconfig" at login (never in a pod, whose credentials are the console's own) */
  offerKubeconfig: boolean;
  readOnly: boolean;
  port: number;
  host?: string;
  logger: Logger;
}

export interface RunningConsole {
  url: string;
  port: number;
  stop(): Promise<void>;
}

type Handler = (context: RequestContext) => Promise<void>;

interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  session: Session;
  params: string[];
}

const STORE = '/api/stores/([a-z0-9-]+)/([a-z0-9.-]+)';

/** Relays an API server refusal with its status, message and the field errors the form shows. */
function sendApiError(response: ServerResponse, error: unknown): void {
  const status = statusCodeOf(error);
  if (error instanceof HttpError) {
    sendJson(response, error.status, { message: error.message, ...(error.body === undefined ? {} : { details: error.body }) });
  } else if (status !== undefined) {
    const body = error instanceof ApiStatusError ? error.body : undefined;
    sendJson(response, status, { message: apiErrorMessage(error), fieldErrors: fieldErrorsOf(body ?? { message: apiErrorMessage(error) }) });
  } else {
    sendJson(response, 502, { message: errorMessage(error) });
  }
}

function storeTarget(params: string[]): { namespace: string; name: string } {
  return { namespace: params[0], name: params[1] };
}

/** The store of a request: `object` from the form, or `yaml` as typed in the YAML view (parsed here, not in the page). */
function objectOf(body: Record<string, unknown>): KubeObject {
  let object = body.object;
  if (typeof body.yaml === 'string') {
    try {
      object = parseYaml(body.yaml) as unknown;
    } catch (error) {
      throw new HttpError(400, `the YAML does not parse: ${errorMessage(error)}`);
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new HttpError(400, 'body.object must be a KVStore object');
  return object as KubeObject;
}

/** The store as the page loaded it, for an edit saved as a patch; undefined for a create or a plain replace. */
function originalOf(body: Record<string, unknown>): KubeObject | undefined {
  const original = body.original;
  if (original === undefined) return undefined;
  if (typeof original !== 'object' || original === null || Array.isArray(original)) throw new HttpError(400, 'body.original must be the KVStore as loaded');
  return original as KubeObject;
}

async function whoAmI(client: KubeClient): Promise<string | undefined> {
  try {
    const review = await client.create<{ status?: { userInfo?: { username?: string } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
    });
    return review.status?.userInfo?.username;
  } catch {
    return undefined;
  }
}

/** An event stream whose start failed says why, as a `failure` event the page shows, instead of ending mute. */
async function feed(response: ServerResponse, start: (stream: EventStream) => Promise<void>): Promise<void> {
  const stream = openEventStream(response);
  try {
    await start(stream);
  } catch (error) {
    stream.send('failure', { message: `the live feed could not start: ${apiErrorMessage(error)}` });
    stream.close();
  }
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { logger, readOnly } = options;
  const sessions = new SessionStore();
  const assets = loadWebAssets();
  const usernames = new Map<string, string | undefined>();

  const routes: Array<{ method: string; pattern: RegExp; write: boolean; handler: Handler }> = [];
  const route = (method: string, path: string, handler: Handler, write = method !== 'GET') => {
    routes.push({ method, pattern: new RegExp(`^${path}$`), write, handler });
  };

  route('GET', '/api/schema', async ({ response, session }) => sendJson(response, 200, await readStoreSchema(session.client)));
  route('GET', '/api/policies', async ({ response, session }) => sendJson(response, 200, { items: await listPolicies(session.client) }));
  route('GET', '/api/events/stores', async ({ response, session }) => {
    await feed(response, (stream) => streamStoreList(session.client, stream, logger));
  });
  route('GET', `/api/events${STORE.slice('/api'.length)}`, async ({ response, session, params }) => {
    await feed(response, (stream) => streamStoreDetail(session.client, stream, storeTarget(params), logger));
  });
  route('GET', STORE, async ({ response, session, params }) => {
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await session.client.get(paths.kvstore(namespace, name)));
  });
  // A dry-run writes nothing, so it is allowed in read-only mode too: the form still shows defaults and errors.
  route('POST', '/api/stores/dry-run', async ({ request, response, session }) => {
    const body = await readJsonBody(request);
    const object = objectOf(body);
    const original = originalOf(body);
    const result = body.mode !== 'replace' ? await createStore(session.client, object, true)
      : original ? await patchEditedStore(session.client, original, object, true) : await replaceStore(session.client, object, true);
    sendJson(response, 200, { submitted: object, object: result });
  }, false);
  route('POST', '/api/stores', async ({ request, response, session }) => {
    sendJson(response, 201, await createStore(session.client, objectOf(await readJsonBody(request)), false));
  });
  // With `original` (what the page loaded), the edit is saved as a merge patch; without, as a replace.
  route('PUT', STORE, async ({ request, response, session, params }) => {
    const body = await readJsonBody(request);
    const object = objectOf(body);
    const original = originalOf(body);
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, original
      ? await patchEditedStore(session.client, { ...original, metadata: { ...original.metadata, namespace, name } }, object, false)
      : await replaceStore(session.client, { ...object, metadata: { ...object.metadata, namespace, name } }, false));
  });
  route('POST', `${STORE}/scale`, async ({ request, response, session, params }) => {
    const replicas = (await readJsonBody(request)).replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw new HttpError(400, 'replicas must be a whole number');
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await scaleStore(session.client, namespace, name, replicas));
  });
  route('POST', `${STORE}/config`, async ({ request, response, session, params }) => {
    const config = (await readJsonBody(request)).config;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new HttpError(400, 'config must be an object of strings');
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await patchStoreConfig(session.client, namespace, name, config as Record<string, string | null>));
  });
  route('POST', `${STORE}/rotate-password`, async ({ response, session, params }) => {
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await rotateStorePassword(session.client, namespace, name));
  });
  route('POST', `${STORE}/switchover`, async ({ request, response, session, params }) => {
    const target = (await readJsonBody(request)).target;
    if (typeof target !== 'string' || target.trim() === '') throw new HttpError(400, "target must be a pod name or 'any'");
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await requestSwitchover(session.client, namespace, name, target.trim()));
  });
  route('GET', `${STORE}/resources`, async ({ response, session, params }) => {
    const { namespace, name } = storeTarget(params);
    sendJson(response, 200, await listStoreResources(session.client, namespace, name));
  });
  route('POST', `${STORE}/backups`, async ({ request, response, session, params }) => {
    const dir = (await readJsonBody(request)).dir;
    if (dir !== undefined && typeof dir !== 'string') throw new HttpError(400, 'dir must be an s3:// URL');
    const { namespace, name } = storeTarget(params);
    sendJson(response, 201, await backUpStore(session.client, namespace, name, dir?.trim() || undefined));
  });
  route('DELETE', STORE, async ({ response, session, params }) => {
    const { namespace, name } = storeTarget(params);
    await deleteStore(session.client, namespace, name);
    sendJson(response, 200, { deleted: `${namespace}/${name}` });
  });

  const sessionInfo = (session: Session | undefined) => ({
    loggedIn: session !== undefined, readOnly, offerKubeconfig: options.offerKubeconfig,
    ...(session ? { csrfToken: session.csrfToken, credentials: session.credentials, user: usernames.get(session.id) ?? null } : {}),
  });

  async function login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJsonBody(request);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!token && !options.offerKubeconfig) throw new HttpError(400, 'enter a bearer token');
    const session = sessions.create(token ? tokenAccess(options.access, token) : options.access, token ? 'token' : 'kubeconfig');
    try {
      await session.client.list(paths.kvstores(), undefined, { limit: 1 });
    } catch (error) {
      // 403 is a valid user who may not list every namespace; 401 is a token the API server does not accept.
      if (statusCodeOf(error) !== 403) {
        sessions.remove(session);
        throw statusCodeOf(error) === 401 ? new HttpError(401, 'the API server did not accept these credentials') : error;
      }
    }
    usernames.set(session.id, await whoAmI(session.client));
    sendJson(response, 200, sessionInfo(session), { 'Set-Cookie': sessionCookie(session) });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://console');
    const method = request.method ?? 'GET';
    if (method !== 'GET' && !isSameOrigin(request)) throw new HttpError(403, 'cross-origin request refused');
    if (method === 'GET' && url.pathname === '/') {
      response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(renderPage());
      return;
    }
    if (method === 'GET' && url.pathname.startsWith('/assets/')) {
      const script = await assets.script(url.pathname.slice('/assets/'.length));
      if (script === undefined) throw new HttpError(404, 'no such asset');
      response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
      response.end(script);
      return;
    }
    if (url.pathname === '/api/session' && method === 'GET') return sendJson(response, 200, sessionInfo(sessions.find(request.headers.cookie)));
    if (url.pathname === '/api/login' && method === 'POST') return login(request, response);
    const session = sessions.find(request.headers.cookie);
    if (url.pathname === '/api/logout' && method === 'POST') {
      if (session && sameToken(session.csrfToken, headerValue(request, CSRF_HEADER))) sessions.remove(session);
      return sendJson(response, 200, sessionInfo(undefined), { 'Set-Cookie': sessionCookie(undefined) });
    }
    for (const candidate of routes) {
      const match = candidate.method === method ? candidate.pattern.exec(url.pathname) : null;
      if (!match) continue;
      if (!session) throw new HttpError(401, 'log in first');
      if (method !== 'GET' && !sameToken(session.csrfToken, headerValue(request, CSRF_HEADER))) throw new HttpError(403, 'missing or wrong CSRF token');
      if (candidate.write && readOnly) throw new HttpError(403, 'the console runs read-only (--read-only): it makes no changes');
      await candidate.handler({ request, response, session, params: match.slice(1) });
      return;
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.end();
        return;
      }
      if (!(error instanceof HttpError) && statusCodeOf(error) === undefined) logger.warn({ err: error }, 'console request failed');
      sendApiError(response, error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    async stop() {
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
