/**
 * The self reviews: SelfSubjectReview (`kubectl auth whoami`), SelfSubjectAccessReview (`kubectl auth can-i`) and
 * SelfSubjectRulesReview (`kubectl auth can-i --list`), evaluated by the same authorizer as requests (golden 31 #2, #3, #7).
 */
import type { RequestContext } from '../context.js';
import { fieldManagerOf, header } from '../context.js';
import { SEP, toFieldsV1 } from '../managed-fields.js';
import { decodeBody } from '../serialize.js';
import { fieldError, invalid } from '../status-errors.js';
import type { JsonObject, KubeObject } from '../types.js';
import { isJsonObject, nowTimestamp } from '../types.js';
import type { RbacPolicy } from './authorizer.js';
import { authorize, rulesFor } from './authorizer.js';
import type { RequestAttributes } from './request-attributes.js';

const AUTHORIZATION_API = 'authorization.k8s.io/v1';

function decodeSpec(ctx: RequestContext): JsonObject {
  const decoded = ctx.body.length === 0 ? {} : decodeBody(header(ctx, 'content-type'), ctx.body, ctx.type.kind).value;
  return isJsonObject(decoded) && isJsonObject(decoded.spec) ? decoded.spec : {};
}

export function selfSubjectReview(ctx: RequestContext): KubeObject {
  const userInfo: JsonObject = { username: ctx.user.username };
  if (ctx.user.uid) userInfo.uid = ctx.user.uid;
  userInfo.groups = ctx.user.groups;
  if (ctx.user.extra) userInfo.extra = ctx.user.extra;
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: nowTimestamp() }, status: { userInfo } };
}

/** The fields the caller set, recorded as kube-apiserver records an Update of the review (golden 31 #7). */
function reviewManagedFields(ctx: RequestContext, spec: JsonObject): JsonObject[] {
  const paths = new Set<string>();
  for (const [key, value] of Object.entries(spec)) {
    if (!isJsonObject(value)) continue;
    paths.add(`f:spec${SEP}f:${key}`);
    for (const field of Object.keys(value)) paths.add(`f:spec${SEP}f:${key}${SEP}f:${field}`);
  }
  if (paths.size === 0) return [];
  return [{ manager: fieldManagerOf(ctx), operation: 'Update', apiVersion: AUTHORIZATION_API, time: nowTimestamp(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(paths) }];
}

function stringField(object: JsonObject, key: string): string {
  return typeof object[key] === 'string' ? object[key] : '';
}

function attributesOf(spec: JsonObject): RequestAttributes {
  const resource = isJsonObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nonResource = isJsonObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if ((resource === undefined) === (nonResource === undefined)) {
    throw invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [fieldError('FieldValueInvalid', 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified', 'null')]);
  }
  if (nonResource) return { kind: 'nonResource', verb: stringField(nonResource, 'verb'), path: stringField(nonResource, 'path') };
  const r = resource!;
  return {
    kind: 'resource',
    verb: stringField(r, 'verb'),
    apiGroup: stringField(r, 'group'),
    apiVersion: stringField(r, 'version'),
    namespace: stringField(r, 'namespace'),
    resource: stringField(r, 'resource'),
    subresource: stringField(r, 'subresource'),
    name: stringField(r, 'name'),
  };
}

export function selfSubjectAccessReview(ctx: RequestContext, policy: RbacPolicy): KubeObject {
  const spec = decodeSpec(ctx);
  const decision = authorize(policy, ctx.user, attributesOf(spec));
  const status: JsonObject = { allowed: decision.allowed };
  if (decision.reason !== '') status.reason = decision.reason;
  const managedFields = reviewManagedFields(ctx, spec);
  return { kind: 'SelfSubjectAccessReview', apiVersion: AUTHORIZATION_API, metadata: { creationTimestamp: null, ...(managedFields.length > 0 ? { managedFields } : {}) }, spec, status };
}

export function selfSubjectRulesReview(ctx: RequestContext, policy: RbacPolicy): KubeObject {
  const spec = decodeSpec(ctx);
  const { rules, errors } = rulesFor(policy, ctx.user, stringField(spec, 'namespace'));
  const resourceRules = rules.filter((r) => r.nonResourceURLs === undefined).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs !== undefined).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  const status: JsonObject = { resourceRules, nonResourceRules, incomplete: errors.length > 0 };
  if (errors.length > 0) status.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return { kind: 'SelfSubjectRulesReview', apiVersion: AUTHORIZATION_API, metadata: { creationTimestamp: null }, spec, status };
}

/** The answer to a POST of one of the self reviews, or undefined for any other kind. */
export function answerSelfReview(ctx: RequestContext, policy: RbacPolicy): KubeObject | undefined {
  if (ctx.type.group === 'authentication.k8s.io' && ctx.type.kind === 'SelfSubjectReview') return selfSubjectReview(ctx);
  if (ctx.type.group !== 'authorization.k8s.io') return undefined;
  if (ctx.type.kind === 'SelfSubjectAccessReview') return selfSubjectAccessReview(ctx, policy);
  if (ctx.type.kind === 'SelfSubjectRulesReview') return selfSubjectRulesReview(ctx, policy);
  return undefined;
}
