/**
 * GET pods/<name>/log, as kube-apiserver's LogREST: PodLogOptions are validated, the container is chosen
 * (pod.ValidateContainer), and the request is proxied to the kubelet of the pod's node
 * (`/containerLogs/<ns>/<pod>/<container>` on the Node's daemonEndpoints.kubeletEndpoint.Port), streamed for
 * `follow`. A pod without a node answers 204, as LocationStreamer does with no location.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { storageKey } from './registry.js';
import { ApiError, badRequest, fieldError, invalid, notFound } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';

const NUMERIC_OPTIONS = ['tailLines', 'sinceSeconds', 'limitBytes'] as const;
/** GenericHttpResponseChecker reads at most this much of a failed kubelet answer. */
const MAX_ERROR_BODY_BYTES = 4 * 1024;

function namesOf(list: unknown): string[] {
  return Array.isArray(list) ? list.filter(isJsonObject).map((c) => String(c.name ?? '')) : [];
}

/** pod.ValidateContainer: init, regular and ephemeral containers, in podutil.VisitContainers order. */
export function chooseContainer(pod: KubeObject, requested: string): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const regular = namesOf(spec.containers);
  const all = [...namesOf(spec.initContainers), ...regular, ...namesOf(spec.ephemeralContainers)];
  const name = pod.metadata.name ?? '';
  if (requested === '') {
    if (regular.length === 1) return regular[0]!;
    if (regular.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** Query parameters as PodLogOptions: integers decode like Go's strconv, then ValidatePodLogOptions. */
function logQuery(ctx: RequestContext): URLSearchParams {
  const out = new URLSearchParams();
  const errors = [];
  for (const key of ['follow', 'previous', 'timestamps'] as const) {
    const value = ctx.query.get(key);
    if (value === null) continue;
    if (!['true', 'false', '1', '0', 't', 'f', 'T', 'F', 'TRUE', 'FALSE', 'True', 'False'].includes(value)) throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
    if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) out.set(key, 'true');
  }
  for (const key of NUMERIC_OPTIONS) {
    const value = ctx.query.get(key);
    if (value === null) continue;
    if (!/^[+-]?\d+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
    const n = Number(value);
    if (key === 'tailLines' && n < 0) errors.push(fieldError('FieldValueInvalid', key, 'must be greater than or equal to 0', n));
    else if (key !== 'tailLines' && n < 1) errors.push(fieldError('FieldValueInvalid', key, 'must be greater than 0', n));
    out.set(key, String(n));
  }
  const sinceTime = ctx.query.get('sinceTime');
  if (sinceTime !== null) {
    if (ctx.query.has('sinceSeconds')) errors.push(fieldError('FieldValueForbidden', '', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
    out.set('sinceTime', sinceTime);
  }
  if (errors.length > 0) throw invalid('PodLogOptions', '', ctx.name ?? '', errors);
  return out;
}

function kubeletAddress(core: ApiCore, nodeName: string): { host: string; port: number } {
  const nodeType = core.registry.find('', 'v1', 'nodes');
  const node = nodeType ? core.store.get(storageKey(nodeType), undefined, nodeName) : undefined;
  if (!node || !nodeType) throw notFound({ group: '', plural: 'nodes' }, nodeName);
  const status = isJsonObject(node.status) ? node.status : {};
  const endpoint = isJsonObject(status.daemonEndpoints) && isJsonObject(status.daemonEndpoints.kubeletEndpoint) ? status.daemonEndpoints.kubeletEndpoint : {};
  const port = typeof endpoint.Port === 'number' ? endpoint.Port : 0;
  if (port <= 0) throw new ApiError(500, 'InternalError', `Internal error occurred: node ${nodeName} has no kubelet endpoint`, { causes: [{ message: `node ${nodeName} has no kubelet endpoint` }] });
  const addresses = Array.isArray(status.addresses) ? (status.addresses as JsonObject[]) : [];
  const internal = addresses.find((a) => a.type === 'InternalIP');
  return { host: typeof internal?.address === 'string' ? internal.address : '127.0.0.1', port };
}

/** GenericHttpResponseChecker: a failed kubelet answer becomes the Status kube-apiserver sends. */
function checkedError(code: number, body: string, name: string): ApiError {
  if (code === 400) return badRequest(body.trim());
  if (code === 500) return new ApiError(500, 'InternalError', `Internal error occurred: ${body}`, { causes: [{ message: body }] });
  const suffix = ` ( pods/log ${name})`;
  if (code === 404) return new ApiError(404, 'NotFound', `the server could not find the requested resource${suffix}`, { name, kind: 'pods/log' });
  return new ApiError(code, 'Unknown', `the server responded with the status code ${code} but did not return more information${suffix}`, { name, kind: 'pods/log' });
}

function openKubeletStream(url: URL, res: ServerResponse): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET' }, resolve);
    req.on('error', reject);
    // the client going away ends the upstream too (a follow stream would otherwise run forever)
    res.on('close', () => req.destroy());
    req.end();
  });
}

async function readLimited(upstream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
}

/** Serves the request, or throws an ApiError before any byte was written. */
export async function servePodLog(core: ApiCore, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const name = ctx.name ?? '';
  const query = logQuery(ctx);
  const pod = core.store.get(storageKey(ctx.type), ctx.namespace, name);
  if (!pod) throw notFound(ctx.type, name);
  const container = chooseContainer(pod, ctx.query.get('container') ?? '');
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') {
    res.writeHead(204, { 'Cache-Control': 'no-cache, private' });
    res.end();
    return;
  }
  const { host, port } = kubeletAddress(core, spec.nodeName);
  const url = new URL(`http://${host}:${port}/containerLogs/${encodeURIComponent(ctx.namespace ?? '')}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`);
  url.search = query.toString();
  let upstream: IncomingMessage;
  try {
    upstream = await openKubeletStream(url, res);
  } catch (error) {
    const message = `Get "${url.toString()}": ${(error as Error).message}`;
    throw new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  }
  const code = upstream.statusCode ?? 500;
  if (code < 200 || code > 206) throw checkedError(code, await readLimited(upstream), name);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  upstream.on('data', (chunk: Buffer) => res.write(chunk));
  await new Promise<void>((resolve) => {
    upstream.on('end', resolve);
    upstream.on('error', () => resolve());
    upstream.on('close', resolve);
  });
  res.end();
}
