/**
 * HTTP routing: non-resource paths (version, health, discovery, openapi), resource URL parsing, verb dispatch
 * and response encoding (JSON/YAML/Table/PartialObjectMetadata, Warning headers, Status errors).
 */
import type { ApiCore } from './core.js';
import type { RawRequest, RequestContext } from './context.js';
import { header } from './context.js';
import { aggregatedDiscovery, aggregatedFormRequested, apiGroup, apiGroupList, apiResourceList, apiVersions, etagOf, SERVER_VERSION } from './discovery.js';
import { deleteCollection, deleteObject } from './lifecycle.js';
import { serveOpenApi } from './openapi.js';
import { servePodLog } from './pod-log.js';
import { checkCustomResourceMedia, protobufResponseBody } from './protobuf/content-negotiation.js';
import { PROTOBUF_MEDIA_TYPE } from './protobuf/envelope.js';
import { getObject, listObjects } from './read.js';
import type { ResourceType } from './registry.js';
import type { Negotiated } from './serialize.js';
import { sortKeysDeep } from '../../shared/json-value.js';
import { goJson, negotiate, orderBuiltin, toYaml } from './serialize.js';
import { ApiError, PageNotFound, internalError, methodNotSupported } from './status-errors.js';
import { toTable } from './table.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';
import { startWatch } from './watch.js';
import { requestServiceAccountToken } from './token-request.js';
import { answerSelfReview } from './rbac/access-reviews.js';
import { createObject, patchObject, updateObject } from './write.js';

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

interface ParsedPath {
  group: string;
  version: string;
  watch: boolean;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
}

function parseResourcePath(parts: string[]): ParsedPath | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts[1] === undefined) return undefined;
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts[1] === undefined || parts[2] === undefined) return undefined;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  const parsed: ParsedPath = { group, version, watch: false };
  if (rest[0] === 'watch') {
    parsed.watch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length > 1 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))) {
    parsed.namespace = rest[1];
    rest = rest.slice(2);
    if (rest.length === 0) {
      parsed.resource = 'namespaces';
      parsed.name = parsed.namespace;
      delete parsed.namespace;
      return parsed;
    }
  }
  parsed.resource = rest[0];
  parsed.name = rest[1];
  parsed.subresource = rest[2];
  if (rest.length > 3) return undefined;
  return parsed;
}

function send(raw: RawRequest, status: number, contentType: string, text: string | Buffer, extra: Record<string, string | string[]> = {}): void {
  raw.res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text), ...extra });
  raw.res.end(text);
}

function pretty(raw: RawRequest, url: URL): boolean {
  if (url.searchParams.get('pretty') === 'true' || url.searchParams.get('pretty') === '1') return true;
  if (url.searchParams.get('pretty') === 'false') return false;
  const agent = raw.req.headers['user-agent'] ?? '';
  return /^(curl|Wget|Mozilla)/.test(agent);
}

/** kube-apiserver sends each warning as a `299 - "<text>"` Warning header. */
function warningHeaders(warnings: string[]): Record<string, string[]> {
  return warnings.length > 0 ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {};
}

export function sendJson(raw: RawRequest, status: number, body: unknown, url: URL, warnings: string[] = [], extra: Record<string, string | string[]> = {}): void {
  const headers: Record<string, string | string[]> = { ...extra, ...warningHeaders(warnings) };
  const isPretty = pretty(raw, url);
  send(raw, status, 'application/json', isPretty ? goJson(body, true) : `${goJson(body)}\n`, headers);
}

export function sendError(raw: RawRequest, error: unknown, url: URL, logger: ApiCore['logger'], warnings: string[] = []): void {
  if (raw.res.headersSent) {
    raw.res.end();
    return;
  }
  if (error instanceof PageNotFound) {
    send(raw, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    return;
  }
  const apiError = error instanceof ApiError ? error : internalError(`Internal error occurred: ${(error as Error)?.message ?? String(error)}`);
  if (!(error instanceof ApiError)) logger.error({ err: error }, 'unhandled error in request');
  else if (apiError.code !== 404 && apiError.code !== 409) logger.info({ method: raw.req.method, path: raw.req.url, code: apiError.code, message: apiError.message }, 'request failed');
  // kube-apiserver's ErrorNegotiated turns a retry hint into the Retry-After header (429s of pods/eviction)
  const retryAfter = apiError.details?.retryAfterSeconds;
  const extra: Record<string, string> = retryAfter ? { 'Retry-After': String(retryAfter) } : {};
  // a client that asks for protobuf first gets its errors in protobuf too (golden 37: the 406 Status)
  const protobuf = protobufResponseBody(raw.req.headers.accept, apiError.toStatus());
  if (protobuf) send(raw, apiError.code, PROTOBUF_MEDIA_TYPE, protobuf, extra);
  else sendJson(raw, apiError.code, apiError.toStatus(), url, warnings, extra);
}

/** Serializes an object or list as the endpoint's kind family does (sorted keys for custom resources). */
function encodeObject(type: ResourceType | undefined, body: unknown): unknown {
  if (!isJsonObject(body)) return body;
  if (body.kind === 'Status') return body;
  if (type?.custom) return sortKeysDeep(body);
  if (Array.isArray(body.items)) {
    return { kind: body.kind, apiVersion: body.apiVersion, metadata: body.metadata, items: (body.items as KubeObject[]).map((i) => orderBuiltin(i, { apiVersion: body.apiVersion, kind: String(body.kind).replace(/List$/, '') })) };
  }
  return isJsonObject(body.metadata) ? orderBuiltin(body as KubeObject) : body;
}

function respond(raw: RawRequest, ctx: RequestContext, url: URL, status: number, body: unknown, negotiated: Negotiated): void {
  const protobuf = negotiated.form === 'json' ? protobufResponseBody(header(ctx, 'accept'), body) : undefined;
  if (protobuf) {
    send(raw, status, PROTOBUF_MEDIA_TYPE, protobuf, warningHeaders(ctx.warnings));
    return;
  }
  const isList = isJsonObject(body) && Array.isArray(body.items);
  if (isJsonObject(body) && body.kind !== 'Status' && negotiated.form !== 'json') {
    if (negotiated.form === 'yaml') {
      send(raw, status, 'application/yaml', toYaml(body), warningHeaders(ctx.warnings));
      return;
    }
    if (negotiated.form === 'table' && isJsonObject(body.metadata)) {
      const objects = isList ? (body.items as KubeObject[]) : [body as KubeObject];
      const listMeta: JsonObject = isList ? { ...(body.metadata as JsonObject) } : { resourceVersion: (body as KubeObject).metadata.resourceVersion };
      if (isList && ctx.type.custom && listMeta.continue === '') delete listMeta.continue;
      sendJson(raw, status, toTable(ctx.type, objects, listMeta, ctx.query.get('includeObject')), url, ctx.warnings);
      return;
    }
    if (negotiated.form === 'partial' && isJsonObject(body.metadata)) {
      sendJson(raw, status, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: body.metadata }, url, ctx.warnings);
      return;
    }
    if (negotiated.form === 'partial-list' && isList) {
      const items = (body.items as KubeObject[]).map((i) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: i.metadata }));
      sendJson(raw, status, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: body.metadata, items }, url, ctx.warnings);
      return;
    }
  }
  sendJson(raw, status, encodeObject(ctx.type, body), url, ctx.warnings);
}

function discoveryResponse(raw: RawRequest, core: ApiCore, url: URL, core_: boolean): void {
  const form = aggregatedFormRequested(raw.req.headers.accept);
  if (!form) {
    sendJson(raw, 200, core_ ? apiVersions(raw.serverAddress) : apiGroupList(core.registry), url);
    return;
  }
  const text = `${goJson(aggregatedDiscovery(core.registry, core_, form))}\n`;
  const etag = etagOf(text);
  const headers = { ETag: etag, Vary: 'Accept', 'Cache-Control': 'public' };
  if (raw.req.headers['if-none-match'] === etag) {
    raw.res.writeHead(304, headers);
    raw.res.end();
    return;
  }
  send(raw, 200, `application/json;g=apidiscovery.k8s.io;v=${form};as=APIGroupDiscoveryList`, text, headers);
}

/** Serves non-resource paths; returns false when the path is a resource path. */
function serveNonResource(raw: RawRequest, core: ApiCore, url: URL, parts: string[]): boolean {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/version') {
    send(raw, 200, 'application/json', goJson(SERVER_VERSION, true));
    return true;
  }
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    send(raw, 200, 'text/plain; charset=utf-8', 'ok');
    return true;
  }
  if (path === '/api') {
    discoveryResponse(raw, core, url, true);
    return true;
  }
  if (path === '/apis') {
    discoveryResponse(raw, core, url, false);
    return true;
  }
  if (parts[0] === 'openapi') {
    serveOpenApi(raw, core, url, parts);
    return true;
  }
  if (path === '/api/v1') {
    sendJson(raw, 200, apiResourceList(core.registry, '', 'v1'), url);
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = apiGroup(core.registry, parts[1]!);
    if (!group) throw new PageNotFound();
    sendJson(raw, 200, group, url);
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    if (!core.registry.hasGroupVersion(parts[1]!, parts[2]!)) throw new PageNotFound();
    sendJson(raw, 200, apiResourceList(core.registry, parts[1]!, parts[2]!), url);
    return true;
  }
  if (parts[0] !== 'api' && parts[0] !== 'apis') throw new PageNotFound();
  return false;
}

function resolveType(core: ApiCore, parsed: ParsedPath): ResourceType {
  const type = parsed.resource ? core.registry.find(parsed.group, parsed.version, parsed.resource) : undefined;
  if (type) return type;
  if (parsed.group === '' && parsed.version === 'v1') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  throw new PageNotFound();
}

export async function route(core: ApiCore, raw: RawRequest): Promise<void> {
  const url = new URL(raw.req.url ?? '/', 'https://localhost');
  // warnings gathered before a failure go out with the error too (golden 35 #7: unknown fields, then a 422)
  let warnings: string[] = [];
  try {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (serveNonResource(raw, core, url, parts)) return;
    const parsed = parseResourcePath(parts);
    if (!parsed) throw new PageNotFound();
    const type = resolveType(core, parsed);
    if (parsed.namespace !== undefined && !type.namespaced) throw new PageNotFound();
    const subresourceAllowed = parsed.subresource === undefined || (parsed.subresource === 'status' && type.status) || (parsed.subresource === 'scale' && type.scale !== undefined) || type.extraSubresources.some((e) => e.name === parsed.subresource);
    if (!subresourceAllowed) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    const method = (raw.req.method ?? 'GET').toUpperCase();
    if (type.namespaced && parsed.namespace === undefined && parsed.name !== undefined) throw new PageNotFound();
    if (type.namespaced && parsed.namespace === undefined && method !== 'GET') throw new PageNotFound();
    const ctx: RequestContext = {
      method,
      query: url.searchParams,
      headers: raw.req.headers,
      body: raw.body,
      user: raw.user,
      type,
      namespace: type.namespaced ? parsed.namespace : undefined,
      name: parsed.name,
      subresource: parsed.subresource,
      warnings: [],
    };
    warnings = ctx.warnings;
    if (type.custom) checkCustomResourceMedia(method, header(ctx, 'content-type'), header(ctx, 'accept'));
    if (ctx.subresource === 'token') {
      if (method !== 'POST') throw methodNotSupported();
      const { status, body } = await requestServiceAccountToken(core, core.serviceAccountTokens, ctx);
      respond(raw, ctx, url, status, body, negotiate(header(ctx, 'accept'), false));
      return;
    }
    const review = method === 'POST' && ctx.name === undefined ? answerSelfReview(ctx, core.rbac.current()) : undefined;
    if (review) {
      respond(raw, ctx, url, 201, review, negotiate(header(ctx, 'accept'), false));
      return;
    }
    if (ctx.subresource === 'log') {
      if (method !== 'GET') throw methodNotSupported();
      await servePodLog(core, ctx, raw.res);
      return;
    }
    const isList = parsed.name === undefined;
    const negotiated = negotiate(header(ctx, 'accept'), isList);
    const watch = parsed.watch || (isList && (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'));
    if (method === 'GET' && watch) {
      const single = parsed.name !== undefined ? new URLSearchParams(url.searchParams) : url.searchParams;
      if (parsed.name !== undefined) single.set('fieldSelector', `metadata.name=${parsed.name}`);
      const watchCtx: RequestContext = { ...ctx, name: undefined, query: single };
      let columnsSent = false;
      const encode = (eventType: string, object: unknown): string => {
        let payload = object;
        if (negotiated.form === 'table' && eventType !== 'ERROR' && eventType !== 'BOOKMARK') {
          // only the first Table event carries the column definitions (golden 09)
          payload = toTable(type, [object as KubeObject], { resourceVersion: (object as KubeObject).metadata.resourceVersion }, watchCtx.query.get('includeObject'), !columnsSent);
          columnsSent = true;
        } else if (negotiated.form !== 'table' || eventType === 'ERROR') payload = encodeObject(type, object);
        return `${goJson({ type: eventType, object: payload })}\n`;
      };
      startWatch(core, watchCtx, raw.res, encode, () => undefined);
      return;
    }
    if (ctx.subresource === undefined) {
      const verb = method === 'GET' ? (isList ? 'list' : 'get') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : method === 'DELETE' ? (isList ? 'deletecollection' : 'delete') : '';
      if (!type.verbs.includes(verb) && !(method === 'POST' && !isList)) throw methodNotSupported();
    }
    let status = 200;
    let body: unknown;
    switch (method) {
      case 'GET': {
        if (isList) body = await listObjects(core, ctx);
        else {
          const object = getObject(core, ctx);
          body = ctx.subresource === 'scale' ? core.scaleView(ctx, object) : object;
        }
        break;
      }
      case 'POST': ({ status, body } = await createObject(core, ctx)); break;
      case 'PUT': ({ status, body } = await updateObject(core, ctx)); break;
      case 'PATCH': ({ status, body } = await patchObject(core, ctx)); break;
      case 'DELETE': ({ status, body } = isList ? await deleteCollection(core, ctx) : await deleteObject(core, ctx)); break;
      default: throw methodNotSupported();
    }
    if (ctx.subresource === 'scale') {
      sendJson(raw, status, body, url, ctx.warnings);
      return;
    }
    respond(raw, ctx, url, status, body, negotiated);
  } catch (error) {
    sendError(raw, error, url, core.logger, warnings);
  }
}
