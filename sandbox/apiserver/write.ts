/**
 * create, update (PUT), patch (merge, JSON, strategic, apply) for the main resource and the status and scale
 * subresources. Every path ends in `persist` (write-pipeline.ts).
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { fieldManagerOf, fieldValidationOf, header, parseDryRun } from './context.js';
import { removeFields, typeErrorOf, unknownBuiltinFields } from './builtin-fields.js';
import { generateName } from './object-meta.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { apiVersionOf, storageKey } from './registry.js';
import { sortKeysDeep } from '../../shared/json-value.js';
import { decodeBody, orderBuiltin, parseJson } from './serialize.js';
import { serverSideApply } from './server-side-apply.js';
import { ApiError, badRequest, fieldError, invalid, methodNotSupported, notFound, unsupportedMediaType } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { deepClone, isJsonObject } from './types.js';
import type { WriteRequest, WriteResult } from './write-pipeline.js';
import { persist } from './write-pipeline.js';
import { evictPod } from './eviction.js';
import { finalizeNamespace, podSubresource } from './lifecycle.js';
import { authorize } from './rbac/authorizer.js';
import { forbiddenError } from './rbac/forbidden.js';
import type { ResourceAttributes } from './rbac/request-attributes.js';

function optionsFor(kind: string, ctx: RequestContext, dryRun: boolean, extra: JsonObject = {}): JsonObject {
  const options: JsonObject = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (dryRun) options.dryRun = ['All'];
  const manager = ctx.query.get('fieldManager');
  if (manager) options.fieldManager = manager;
  return { ...options, ...extra };
}

/** Checks apiVersion/kind of a decoded body against the endpoint (golden 04 #25, 15). */
function checkBodyType(ctx: RequestContext, body: unknown, allowScale: boolean): KubeObject {
  if (!isJsonObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${ctx.type.kind}): couldn't get version/kind; json parse error: cannot unmarshal into Go value of type struct`);
  const kind = typeof body.kind === 'string' ? body.kind : '';
  const apiVersion = typeof body.apiVersion === 'string' ? body.apiVersion : '';
  const expectedKind = allowScale ? 'Scale' : ctx.type.kind;
  const expectedVersion = allowScale ? 'autoscaling/v1' : apiVersionOf(ctx.type);
  if (kind !== '' && kind !== expectedKind) {
    if (ctx.type.custom && apiVersion === expectedVersion) {
      const name = isJsonObject(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : '';
      throw invalid(kind, ctx.type.group, name, [fieldError('FieldValueInvalid', 'kind', `must be ${expectedKind}`, kind)]);
    }
    throw badRequest(`${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${expectedKind}: converting (${apiVersion.split('/').pop()}.${kind}) to (${ctx.type.group === '' ? 'core' : ctx.type.group.split('.')[0]}.${expectedKind}): unknown conversion`);
  }
  if (ctx.type.custom && apiVersion !== '' && apiVersion !== expectedVersion && !allowScale) {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expectedVersion})`);
  }
  if (ctx.type.custom && kind === '' && !allowScale) {
    const raw = ctx.body.toString('utf8');
    throw badRequest(`the object provided is unrecognized (must be of type ${ctx.type.kind}): Object 'Kind' is missing in '${raw}' (${raw.length > 30 ? `${raw.slice(0, 30)} ...` : raw})`);
  }
  const object = body as KubeObject;
  if (!isJsonObject(object.metadata)) object.metadata = {};
  return object;
}

function checkUrlIdentity(ctx: RequestContext, object: KubeObject): void {
  if (ctx.name !== undefined && object.metadata.name !== undefined && object.metadata.name !== ctx.name) {
    throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${ctx.name})`);
  }
  if (ctx.type.namespaced && object.metadata.namespace !== undefined && object.metadata.namespace !== '' && object.metadata.namespace !== ctx.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

function decodeObject(ctx: RequestContext, allowScale = false): KubeObject {
  const decoded = decodeBody(header(ctx, 'content-type'), ctx.body, ctx.type.kind);
  const object = checkBodyType(ctx, decoded.value, allowScale);
  const validation = fieldValidationOf(ctx.query);
  if (!ctx.type.custom && !allowScale) {
    const typeError = typeErrorOf(ctx.type.group, ctx.type.kind, object);
    if (typeError) throw badRequest(`${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: ${typeError}`);
    const unknown = unknownBuiltinFields(ctx.type.group, ctx.type.kind, object);
    if (unknown.length > 0 && validation === 'Strict') throw badRequest(`${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
    if (validation === 'Warn') for (const u of unknown) ctx.warnings.push(`unknown field "${u}"`);
    removeFields(object, unknown);
  }
  for (const duplicate of decoded.duplicates) {
    if (validation === 'Strict') throw badRequest(`${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: strict decoding error: duplicate field "${duplicate}"`);
    if (validation === 'Warn') ctx.warnings.push(`duplicate field "${duplicate}"`);
  }
  return object;
}

export async function createObject(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  if (ctx.subresource === 'eviction') return evictPod(core, ctx);
  if (ctx.subresource === 'binding') return podSubresource(core, ctx);
  // the self reviews are answered by rbac/access-reviews.ts before a request gets here
  if (ctx.subresource !== undefined || ctx.name !== undefined) throw methodNotSupported();
  const dryRun = parseDryRun(ctx.query, 'CreateOptions');
  const object = decodeObject(ctx);
  checkUrlIdentity(ctx, object);
  if (!object.metadata.name && object.metadata.generateName) object.metadata.name = generateName(object.metadata.generateName);
  const result = await persist(core, {
    ctx: { ...ctx, name: object.metadata.name },
    operation: 'CREATE',
    object,
    oldObject: undefined,
    dryRun,
    fieldManager: fieldManagerOf(ctx),
    applied: false,
    options: optionsFor('CreateOptions', ctx, dryRun),
  });
  return { status: 201, body: result.object };
}

function loadExisting(core: ApiCore, ctx: RequestContext): KubeObject {
  const existing = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name ?? '');
  if (!existing) throw notFound(ctx.type, ctx.name ?? '');
  return existing;
}

/** An update without a resourceVersion is unconditional: a concurrent write makes it retry, not fail. */
export async function updateObject(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await updateOnce(core, ctx);
    } catch (error) {
      if (!isRetriableConflict(error, ctx) || attempt >= 4) throw error;
    }
  }
}

function isRetriableConflict(error: unknown, ctx: RequestContext): boolean {
  return error instanceof ApiError && error.code === 409 && error.reason === 'Conflict' && error.message.includes('the object has been modified') && !ctx.body.toString('utf8').includes('"resourceVersion"');
}

async function updateOnce(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  if (ctx.name === undefined) throw methodNotSupported();
  const dryRun = parseDryRun(ctx.query, 'UpdateOptions');
  if (ctx.subresource === 'finalize') return finalizeNamespace(core, ctx, dryRun);
  const isScale = ctx.subresource === 'scale';
  const body = decodeObject(ctx, isScale);
  checkUrlIdentity(ctx, body);
  const old = loadExisting(core, ctx);
  if (isScale) return updateScale(core, ctx, old, body, dryRun, optionsFor('UpdateOptions', ctx, dryRun));
  const result = await persist(core, {
    ctx,
    operation: 'UPDATE',
    object: body,
    oldObject: old,
    dryRun,
    fieldManager: fieldManagerOf(ctx),
    applied: false,
    options: optionsFor('UpdateOptions', ctx, dryRun),
  });
  return { status: 200, body: result.object };
}

async function updateScale(core: ApiCore, ctx: RequestContext, old: KubeObject, scale: KubeObject, dryRun: boolean, options: JsonObject): Promise<WriteResult> {
  const object = deepClone(old);
  const replicas = isJsonObject(scale.spec) ? scale.spec.replicas : undefined;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas))) {
    throw invalid('Scale', 'autoscaling', ctx.name ?? '', [fieldError('FieldValueInvalid', 'spec.replicas', 'must be an integer', replicas)]);
  }
  if (typeof replicas === 'number' && replicas < 0) throw invalid('Scale', 'autoscaling', ctx.name ?? '', [fieldError('FieldValueInvalid', 'spec.replicas', 'must be greater than or equal to 0', replicas)]);
  core.scaleFromView(ctx, object, scale);
  object.metadata.resourceVersion = scale.metadata.resourceVersion ?? undefined;
  if (object.metadata.resourceVersion === undefined) delete object.metadata.resourceVersion;
  const req: WriteRequest = {
    ctx,
    operation: 'UPDATE',
    object,
    oldObject: old,
    dryRun,
    fieldManager: fieldManagerOf(ctx),
    applied: false,
    options,
    admissionView: { object: scale, oldObject: core.scaleView(ctx, old), kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  };
  const result = await persist(core, req);
  return { status: 200, body: core.scaleView(ctx, result.object) };
}

const PATCH_TYPES_CUSTOM = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const PATCH_TYPES_BUILTIN = [...PATCH_TYPES_CUSTOM.slice(0, 2), 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** Patches retry on a conflict caused by a concurrent write (e.g. during a webhook call), as kube-apiserver does. */
/**
 * An apply that creates the object is authorized as `create` too, as kube-apiserver does (the request itself was
 * authorized as `patch`): a role with `patch` alone cannot create objects through server-side apply.
 */
function authorizeApplyCreate(core: ApiCore, ctx: RequestContext): void {
  const attributes: ResourceAttributes = {
    kind: 'resource', verb: 'create', apiGroup: ctx.type.group, apiVersion: ctx.type.version,
    namespace: ctx.namespace ?? '', resource: ctx.type.plural, subresource: '', name: ctx.name ?? '',
  };
  const decision = authorize(core.rbac.current(), ctx.user, attributes);
  core.rbacAudit.record(ctx.user, attributes, decision.allowed);
  if (!decision.allowed) throw forbiddenError(ctx.user.username, attributes, decision.reason);
}

export async function patchObject(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await patchOnce(core, ctx);
    } catch (error) {
      if (!isRetriableConflict(error, ctx) || attempt >= 4) throw error;
    }
  }
}

async function patchOnce(core: ApiCore, ctx: RequestContext): Promise<WriteResult> {
  if (ctx.name === undefined) throw methodNotSupported();
  const contentType = (header(ctx, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const allowed = ctx.type.custom ? PATCH_TYPES_CUSTOM : PATCH_TYPES_BUILTIN;
  if (!allowed.includes(contentType)) {
    if (PATCH_TYPES_BUILTIN.includes(contentType)) throw unsupportedMediaType(allowed);
    throw new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
  }
  const dryRun = parseDryRun(ctx.query, 'PatchOptions');
  const isApply = contentType === 'application/apply-patch+yaml';
  const manager = ctx.query.get('fieldManager') ?? '';
  if (isApply && manager === '') {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [fieldError('FieldValueRequired', 'fieldManager', 'is required for apply patch')]);
  }
  const isScale = ctx.subresource === 'scale';
  const existing = core.store.get(storageKey(ctx.type), ctx.namespace, ctx.name);
  // admission sees a patch as the write it becomes, without `force` (patchToUpdateOptions/patchToCreateOptions; golden 29)
  const options = optionsFor(existing || !isApply ? 'UpdateOptions' : 'CreateOptions', ctx, dryRun);
  if (isApply) {
    const decoded = decodeBody('application/apply-patch+yaml', ctx.body, ctx.type.kind);
    if (!isJsonObject(decoded.value)) throw badRequest('invalid object type: /, Kind=');
    const applied = decoded.value as KubeObject;
    if (typeof applied.apiVersion !== 'string' || applied.apiVersion === '') throw badRequest(`invalid object type: /, Kind=${String(applied.kind ?? '')}`);
    if (typeof applied.kind !== 'string' || applied.kind === '') throw badRequest(`invalid object type: ${applied.apiVersion}, Kind=`);
    if (!isJsonObject(applied.metadata)) applied.metadata = {};
    checkUrlIdentity(ctx, applied);
    if (isScale) {
      if (!existing) throw notFound(ctx.type, ctx.name);
      const merged = serverSideApply(scaleViewWithOwners(core, ctx, existing), applied, { manager, force: ctx.query.get('force') === 'true', apiVersion: 'autoscaling/v1', subresource: 'scale', info: core.fieldTypeInfo(ctx.type) });
      return updateScale(core, ctx, existing, merged, dryRun, options);
    }
    if (!existing && ctx.subresource !== undefined) throw notFound(ctx.type, ctx.name);
    if (!existing) authorizeApplyCreate(core, ctx);
    const merged = serverSideApply(existing, applied, { manager, force: ctx.query.get('force') === 'true', apiVersion: apiVersionOf(ctx.type), ...(ctx.subresource ? { subresource: ctx.subresource } : {}), info: core.fieldTypeInfo(ctx.type) });
    merged.metadata.name = ctx.name;
    if (existing) merged.metadata.resourceVersion = applied.metadata.resourceVersion ?? existing.metadata.resourceVersion;
    const result = await persist(core, {
      ctx,
      operation: existing ? 'UPDATE' : 'CREATE',
      object: merged,
      oldObject: existing,
      dryRun,
      fieldManager: manager,
      applied: true,
      options,
    });
    return { status: existing ? 200 : 201, body: result.object };
  }
  if (!existing) throw notFound(ctx.type, ctx.name);
  const patchBody = parseJson(ctx.body.toString('utf8'), ctx.type.kind);
  const base: KubeObject = isScale ? core.scaleView(ctx, existing) : { ...existing, apiVersion: apiVersionOf(ctx.type), kind: ctx.type.kind };
  let patched: unknown;
  if (contentType === 'application/json-patch+json') patched = applyJsonPatch(base, patchBody);
  else if (contentType === 'application/merge-patch+json') {
    if (!isJsonObject(patchBody)) throw badRequest('the body of the patch must be a JSON object');
    patched = applyMergePatch(base, patchBody);
  } else patched = applyStrategicMergePatch(base, patchBody, core.fieldTypeInfo(ctx.type).lists);
  if (!isJsonObject(patched)) throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  const object = patched as KubeObject;
  if (!isJsonObject(object.metadata)) object.metadata = {};
  const typeError = ctx.type.custom || isScale ? undefined : typeErrorOf(ctx.type.group, ctx.type.kind, object);
  if (typeError) {
    const patchKeys = contentType === 'application/merge-patch+json' && isJsonObject(patchBody) ? patchBody : {};
    const message = `Invalid value: ${JSON.stringify(JSON.stringify(asPatchedDocument(orderBuiltin(object), patchKeys)))}: ${typeError}`;
    throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
  }
  checkUrlIdentity(ctx, object);
  if (isScale) return updateScale(core, ctx, existing, object, dryRun, options);
  const result = await persist(core, {
    ctx,
    operation: 'UPDATE',
    object,
    oldObject: existing,
    dryRun,
    fieldManager: fieldManagerOf(ctx),
    applied: false,
    options,
  });
  return { status: 200, body: result.object };
}

/**
 * The patched document as kube-apiserver quotes it in a patch error: json-patch decodes it into a Go map (keys
 * sorted on output) but keeps the untouched parts as the raw bytes of the stored object (Go struct order).
 */
function asPatchedDocument(value: unknown, patch: JsonObject): unknown {
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    const touched = patch[key];
    out[key] = touched === undefined ? value[key] : isJsonObject(touched) ? asPatchedDocument(value[key], touched) : sortKeysDeep(value[key]);
  }
  return out;
}

/**
 * The Scale as server-side apply sees it: the owners of the parent's replicas field become owners of the Scale's
 * `spec.replicas`, in autoscaling/v1, so an apply through /scale conflicts with whoever set the replicas (golden 18).
 */
function scaleViewWithOwners(core: ApiCore, ctx: RequestContext, parent: KubeObject): KubeObject {
  const view = core.scaleView(ctx, parent);
  const replicasPath = (ctx.type.scale?.specReplicasPath ?? '.spec.replicas').split('.').filter(Boolean);
  const owns = (fields: unknown): boolean => {
    let node = fields;
    for (const part of replicasPath) {
      if (!isJsonObject(node)) return false;
      node = node[`f:${part}`];
    }
    return isJsonObject(node);
  };
  const owners = (parent.metadata.managedFields ?? []).filter((entry) => owns(entry.fieldsV1));
  if (owners.length > 0) {
    view.metadata.managedFields = owners.map((entry) => ({ ...entry, apiVersion: 'autoscaling/v1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }));
  }
  return view;
}
