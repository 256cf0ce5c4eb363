/**
 * Admission webhooks: mutating then validating, from the stored Mutating/ValidatingWebhookConfigurations.
 * Rules, namespaceSelector, objectSelector, sideEffects with dryRun, failurePolicy and timeouts; calls go over
 * HTTPS verifying clientConfig.caBundle (`url:` or `service:` resolved through EndpointSlices/Endpoints with
 * TLS server name `<svc>.<ns>.svc`). Answers are surfaced as kube-apiserver does (golden 27–30).
 */
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { AdmissionChain, AdmissionKind, ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { applyJsonPatch } from './patch.js';
import { goJsonSyntaxError } from './serialize.js';
import { apiVersionOf } from './registry.js';
import { labelSelectorRequirements, matchesLabels } from './selectors.js';
import { ApiError, internalError } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject } from './types.js';

type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

interface Webhook {
  config: string;
  hook: JsonObject;
}

const MUTATING = 'admissionregistration.k8s.io/mutatingwebhookconfigurations';
const VALIDATING = 'admissionregistration.k8s.io/validatingwebhookconfigurations';

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function matchesRule(rule: JsonObject, ctx: RequestContext, operation: Operation): boolean {
  const ops = list(rule.operations).map(String);
  if (!ops.includes('*') && !ops.includes(operation)) return false;
  const groups = list(rule.apiGroups).map(String);
  if (!groups.includes('*') && !groups.includes(ctx.type.group)) return false;
  const versions = list(rule.apiVersions).map(String);
  if (!versions.includes('*') && !versions.includes(ctx.type.version)) return false;
  const resource = ctx.subresource ? `${ctx.type.plural}/${ctx.subresource}` : ctx.type.plural;
  const resources = list(rule.resources).map(String);
  const resourceOk = resources.some((r) => r === '*/*' || r === resource || (r === '*' && !ctx.subresource) || (r.startsWith('*/') && ctx.subresource === r.slice(2)) || (r.endsWith('/*') && r.slice(0, -2) === ctx.type.plural && ctx.subresource !== undefined));
  if (!resourceOk) return false;
  const scope = String(rule.scope ?? '*');
  if (scope === 'Namespaced' && !ctx.type.namespaced) return false;
  if (scope === 'Cluster' && ctx.type.namespaced) return false;
  return true;
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string; address?: string; port?: number };
  // Go's net error names the dialled address (golden 30)
  if (e.code === 'ECONNREFUSED') return `dial tcp ${e.address ?? ''}:${e.port ?? ''}: connect: connection refused`;
  if (e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN' || e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || e.code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${e.message ?? 'certificate is not valid for the requested name'}`;
  return e.message ?? String(error);
}

export class WebhookAdmission implements AdmissionChain {
  constructor(private readonly core: ApiCore) {}

  private webhooks(key: string): Webhook[] {
    return this.core.store
      .list(key)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
      .flatMap((config) => list(config.webhooks).filter(isJsonObject).map((hook) => ({ config: config.metadata.name ?? '', hook })));
  }

  private matches(w: Webhook, ctx: RequestContext, operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined, kind?: AdmissionKind): boolean {
    // webhook configurations are never sent to webhooks, so a broken webhook cannot lock itself in
    if (ctx.type.group === 'admissionregistration.k8s.io') return false;
    if (!list(w.hook.rules).filter(isJsonObject).some((rule) => matchesRule(rule, ctx, operation))) return false;
    if (ctx.type.namespaced || (ctx.type.group === '' && ctx.type.plural === 'namespaces')) {
      const nsName = ctx.type.plural === 'namespaces' && ctx.type.group === '' ? (object ?? oldObject)?.metadata.name : ctx.namespace;
      const ns = ctx.type.plural === 'namespaces' && ctx.type.group === '' ? (object ?? oldObject) : this.core.store.get('/namespaces', undefined, nsName ?? '');
      const nsSelector = labelSelectorRequirements(w.hook.namespaceSelector);
      if (nsSelector.length > 0 && !matchesLabels(nsSelector, ns?.metadata.labels)) return false;
    }
    const objSelector = labelSelectorRequirements(w.hook.objectSelector);
    if (objSelector.length > 0) {
      // a Scale has no labels: a labelled objectSelector never matches /scale (golden 29)
      const labelsOf = (o: KubeObject | undefined): Record<string, string> | undefined => (kind?.kind === 'Scale' ? undefined : o?.metadata.labels);
      if (!matchesLabels(objSelector, labelsOf(object)) && !matchesLabels(objSelector, labelsOf(oldObject))) return false;
    }
    return true;
  }

  private review(ctx: RequestContext, operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined, dryRun: boolean, options: Record<string, unknown>, kind?: AdmissionKind): JsonObject {
    const gvk = kind ?? { group: ctx.type.group, version: ctx.type.version, kind: ctx.type.kind };
    const resource = { group: ctx.type.group, version: ctx.type.version, resource: ctx.type.plural };
    const request: JsonObject = {
      uid: randomUUID(),
      kind: gvk,
      resource,
    };
    if (ctx.subresource) request.subResource = ctx.subresource;
    request.requestKind = gvk;
    request.requestResource = resource;
    if (ctx.subresource) request.requestSubResource = ctx.subresource;
    request.name = ctx.name ?? object?.metadata.name ?? '';
    if (ctx.namespace) request.namespace = ctx.namespace;
    request.operation = operation;
    const user: JsonObject = { username: ctx.user.username };
    if (ctx.user.uid) user.uid = ctx.user.uid;
    user.groups = ctx.user.groups;
    if (ctx.user.extra) user.extra = ctx.user.extra;
    request.userInfo = user;
    request.object = object ?? null;
    request.oldObject = oldObject ?? null;
    request.dryRun = dryRun;
    request.options = options;
    return { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request };
  }

  private async resolveTarget(hook: JsonObject): Promise<{ url: URL; servername?: string }> {
    const clientConfig = isJsonObject(hook.clientConfig) ? hook.clientConfig : {};
    if (typeof clientConfig.url === 'string') return { url: new URL(clientConfig.url) };
    const service = isJsonObject(clientConfig.service) ? clientConfig.service : undefined;
    if (!service) throw new Error('webhook has no clientConfig url or service');
    const name = String(service.name);
    const namespace = String(service.namespace);
    const port = Number(service.port ?? 443);
    const address = this.serviceAddress(name, namespace, port);
    if (!address) throw new Error(`service "${name}" not found or has no ready endpoints`);
    const path = typeof service.path === 'string' ? service.path : '/';
    return { url: new URL(`https://${address.ip}:${address.port}${path}`), servername: `${name}.${namespace}.svc` };
  }

  /** The address a Service's webhook port reaches: a ready endpoint (EndpointSlice, then Endpoints). */
  private serviceAddress(name: string, namespace: string, port: number): { ip: string; port: number } | undefined {
    const svc = this.core.store.get('/services', namespace, name);
    if (!svc) return undefined;
    const spec = isJsonObject(svc.spec) ? svc.spec : {};
    const svcPort = list(spec.ports).filter(isJsonObject).find((p) => p.port === port);
    const target = svcPort?.targetPort ?? port;
    for (const slice of this.core.store.list('discovery.k8s.io/endpointslices', namespace)) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== name) continue;
      const slicePort = list(slice.ports).filter(isJsonObject).find((p) => (svcPort?.name ? p.name === svcPort.name : true));
      const endpoint = list(slice.endpoints).filter(isJsonObject).find((e) => !isJsonObject(e.conditions) || e.conditions.ready !== false);
      const ip = endpoint ? list(endpoint.addresses)[0] : undefined;
      if (ip !== undefined && slicePort?.port !== undefined) return { ip: String(ip), port: Number(slicePort.port) };
    }
    const endpoints = this.core.store.get('/endpoints', namespace, name);
    for (const subset of list(endpoints?.subsets).filter(isJsonObject)) {
      const address = list(subset.addresses).filter(isJsonObject)[0];
      const epPort = list(subset.ports).filter(isJsonObject)[0];
      if (address && epPort) return { ip: String(address.ip), port: Number(epPort.port) };
    }
    if (typeof target === 'number' && typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None') return { ip: spec.clusterIP, port };
    return undefined;
  }

  private async call(hook: JsonObject, review: JsonObject): Promise<JsonObject> {
    const timeoutSeconds = typeof hook.timeoutSeconds === 'number' ? hook.timeoutSeconds : 10;
    const clientConfig = isJsonObject(hook.clientConfig) ? hook.clientConfig : {};
    const ca = typeof clientConfig.caBundle === 'string' && clientConfig.caBundle !== '' ? Buffer.from(clientConfig.caBundle, 'base64').toString('utf8') : undefined;
    const { url, servername } = await this.resolveTarget(hook);
    url.searchParams.set('timeout', `${timeoutSeconds}s`);
    const shownUrl = url.toString();
    const body = JSON.stringify(review);
    const text = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'kube-apiserver-admission' },
        ...(ca ? { ca } : {}),
        ...(servername ? { servername } : {}),
        timeout: timeoutSeconds * 1000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`Post "${shownUrl}": context deadline exceeded`), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(new Error(error.code === 'TIMEOUT' ? error.message : `Post "${shownUrl}": ${describeError(error)}`));
      });
      req.end(body);
    });
    if (text.status === 404) throw new Error('the server could not find the requested resource');
    if (text.status < 200 || text.status >= 300) throw new Error(`an error on the server (${JSON.stringify(text.text.trim())}) has prevented the request from succeeding`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.text);
    } catch {
      throw new Error(`couldn't get version/kind; json parse error: ${goJsonSyntaxError(text.text)}`);
    }
    if (!isJsonObject(parsed)) throw new Error("couldn't get version/kind; json parse error");
    if (parsed.apiVersion !== 'admission.k8s.io/v1') throw new Error(`converting (${String(parsed.apiVersion).split('/').pop()}.AdmissionReview) to (v1.AdmissionReview): unknown conversion`);
    return parsed;
  }

  /** Calls one webhook; returns its response, or undefined when it failed and failurePolicy is Ignore. */
  private async invoke(w: Webhook, review: JsonObject): Promise<JsonObject | undefined> {
    const name = String(w.hook.name);
    const failurePolicy = w.hook.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail';
    try {
      const answer = await this.call(w.hook, review);
      const response = answer.response;
      if (!isJsonObject(response)) throw Object.assign(new Error('webhook response was absent'), { invalidResponse: true });
      const expected = (review.request as JsonObject).uid;
      if (response.uid !== expected) throw Object.assign(new Error(`expected response.uid=${JSON.stringify(expected)}, got ${JSON.stringify(response.uid ?? '')}`), { invalidResponse: true });
      return response;
    } catch (error) {
      if (failurePolicy === 'Ignore') {
        this.core.logger.warn({ webhook: name, err: error }, 'admission webhook failed; failurePolicy Ignore');
        return undefined;
      }
      const what = (error as { invalidResponse?: boolean }).invalidResponse ? 'received invalid webhook response' : 'failed to call webhook';
      const message = `failed calling webhook "${name}": ${what}: ${(error as Error).message}`;
      throw internalError(`Internal error occurred: ${message}`, [{ message }]);
    }
  }

  private deny(name: string, response: JsonObject): ApiError {
    const status = isJsonObject(response.status) ? response.status : {};
    const code = typeof status.code === 'number' && status.code !== 0 ? status.code : 400;
    const detail = typeof status.message === 'string' && status.message !== '' ? status.message : typeof status.reason === 'string' ? status.reason : '';
    const message = `admission webhook "${name}" denied the request${detail ? `: ${detail}` : ' without explanation'}`;
    const reason = typeof status.reason === 'string' && status.reason !== '' ? status.reason : undefined;
    const details = isJsonObject(status.details) ? (status.details as ApiError['details']) : undefined;
    return new ApiError(code, reason, message, details);
  }

  private collectWarnings(ctx: RequestContext, response: JsonObject): void {
    for (const w of list(response.warnings)) if (typeof w === 'string') ctx.warnings.push(w);
  }

  private skipForDryRun(w: Webhook, dryRun: boolean): void {
    if (!dryRun) return;
    const sideEffects = String(w.hook.sideEffects ?? 'Unknown');
    if (sideEffects !== 'None' && sideEffects !== 'NoneOnDryRun') {
      throw new ApiError(400, 'BadRequest', `admission webhook "${String(w.hook.name)}" does not support dry run`);
    }
  }

  async mutate(ctx: RequestContext, operation: Operation, object: KubeObject, oldObject: KubeObject | undefined, dryRun: boolean, options: Record<string, unknown>, kind?: AdmissionKind): Promise<KubeObject> {
    if (operation === 'DELETE') return object;
    let current = operation === 'CREATE' ? beforeCreate(ctx, object) : object;
    let patched = false;
    for (const w of this.webhooks(MUTATING)) {
      if (!this.matches(w, ctx, operation, current, oldObject, kind)) continue;
      this.skipForDryRun(w, dryRun);
      const response = await this.invoke(w, this.review(ctx, operation, withTypeMeta(ctx, current, kind), oldObject ? withTypeMeta(ctx, oldObject, kind) : undefined, dryRun, options, kind));
      if (!response) continue;
      this.collectWarnings(ctx, response);
      if (response.allowed !== true) throw this.deny(String(w.hook.name), response);
      if (typeof response.patch === 'string' && response.patch !== '') {
        let ops: unknown;
        try {
          ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
        } catch (error) {
          throw internalError(`Internal error occurred: ${(error as Error).message}`, [{ message: (error as Error).message }]);
        }
        try {
          current = applyJsonPatch(deepClone(current), ops) as KubeObject;
          patched = true;
        } catch {
          const message = describePatchFailure(current, ops);
          throw internalError(`Internal error occurred: ${message}`, [{ message }]);
        }
      }
    }
    // unpatched, the caller keeps its own object (with the system fields a CREATE's view lacks)
    return patched ? current : object;
  }

  async validate(ctx: RequestContext, operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined, dryRun: boolean, options: Record<string, unknown>, kind?: AdmissionKind): Promise<void> {
    const matching = this.webhooks(VALIDATING).filter((w) => this.matches(w, ctx, operation, object, oldObject, kind));
    for (const w of matching) this.skipForDryRun(w, dryRun);
    const responses = await Promise.all(
      matching.map(async (w) => ({ w, response: await this.invoke(w, this.review(ctx, operation, object ? withTypeMeta(ctx, object, kind) : undefined, oldObject ? withTypeMeta(ctx, oldObject, kind) : undefined, dryRun, options, kind)) })),
    );
    for (const { response } of responses) if (response) this.collectWarnings(ctx, response);
    for (const { w, response } of responses) if (response && response.allowed !== true) throw this.deny(String(w.hook.name), response);
  }
}

/** evanphx/json-patch's wording for the first operation that does not apply. */
function describePatchFailure(object: KubeObject, ops: unknown): string {
  let doc: unknown = deepClone(object);
  for (const op of Array.isArray(ops) ? ops : []) {
    if (!isJsonObject(op)) continue;
    try {
      doc = applyJsonPatch(doc, [op]);
    } catch {
      if (op.op === 'test') return `testing value ${String(op.path)} failed: test failed`;
      return `${String(op.op)} operation does not apply: doc is missing path: ${String(op.path)}: missing value`;
    }
  }
  return 'the JSON patch does not apply';
}

/**
 * A new object as mutating admission sees it: kube-apiserver fills in uid, creationTimestamp and generation
 * (BeforeCreate) only after mutating webhooks ran. A built-in's zero creationTimestamp is serialized as null, a
 * custom resource's is absent (golden 27).
 */
function beforeCreate(ctx: RequestContext, object: KubeObject): KubeObject {
  const copy = deepClone(object);
  delete copy.metadata.uid;
  delete copy.metadata.generation;
  if (ctx.type.custom) delete copy.metadata.creationTimestamp;
  else copy.metadata.creationTimestamp = null;
  return copy;
}

function withTypeMeta(ctx: RequestContext, object: KubeObject, kind?: AdmissionKind): KubeObject {
  if (kind?.kind === 'Scale') return object;
  return { ...object, apiVersion: apiVersionOf(ctx.type), kind: ctx.type.kind };
}
