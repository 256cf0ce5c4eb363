/**
 * POST serviceaccounts/<name>/token (authentication.k8s.io/v1 TokenRequest), as kube-apiserver's TokenREST: defaults
 * (one hour, the API audiences), validation, binding to a Pod/Secret/Node, and the answer with the signed token.
 * Also the other half: turning such a token back into a user while its ServiceAccount (and bound object) still exist.
 */
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { fieldManagerOf, header } from './context.js';
import { SEP, toFieldsV1 } from './managed-fields.js';
import { decodeBody } from './serialize.js';
import { badRequest, conflict, fieldError, invalid, notFound } from './status-errors.js';
import type { BoundObject, ServiceAccountTokenSigner } from './service-account-token.js';
import { SERVICE_ACCOUNT_ISSUER, buildClaims, claimsProblem, userInfoFromClaims } from './service-account-token.js';
import type { JsonObject, KubeObject, UserInfo } from './types.js';
import { isJsonObject } from './types.js';
import type { WriteResult } from './write-pipeline.js';
import { rfc3339 } from '../../shared/rfc3339.js';

const API_AUDIENCES = [SERVICE_ACCOUNT_ISSUER];
const DEFAULT_EXPIRATION_SECONDS = 3600;
const TOKEN_REQUEST = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
const SERVICE_ACCOUNTS = { group: '', plural: 'serviceaccounts' };
const BINDABLE: Record<string, { storage: string; plural: string; namespaced: boolean }> = {
  Pod: { storage: '/pods', plural: 'pods', namespaced: true },
  Secret: { storage: '/secrets', plural: 'secrets', namespaced: true },
  Node: { storage: '/nodes', plural: 'nodes', namespaced: false },
};

interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: JsonObject | null;
}

/** Decodes and defaults the spec; 422 as ValidateTokenRequest words it. */
function parseSpec(ctx: RequestContext): { spec: TokenRequestSpec; setFields: string[] } {
  const decoded = decodeBody(header(ctx, 'content-type'), ctx.body, TOKEN_REQUEST.kind).value;
  if (!isJsonObject(decoded)) throw badRequest('the object provided is unrecognized (must be of type TokenRequest)');
  if (decoded.kind !== undefined && decoded.kind !== TOKEN_REQUEST.kind) throw badRequest(`${String(decoded.kind)} is not suitable for converting to "authentication.k8s.io/v1"`);
  const raw = isJsonObject(decoded.spec) ? decoded.spec : {};
  // expirationSeconds is defaulted while decoding, so kube-apiserver records it as the caller's field (37 #21)
  const setFields = ['expirationSeconds'];
  const audiences = Array.isArray(raw.audiences) && raw.audiences.length > 0 ? raw.audiences.map(String) : API_AUDIENCES;
  if (Array.isArray(raw.audiences)) setFields.unshift('audiences');
  const boundObjectRef = isJsonObject(raw.boundObjectRef) ? raw.boundObjectRef : null;
  // a pointer struct: its own entry ("." in FieldsV1) and one per field set
  if (boundObjectRef) setFields.push('boundObjectRef', ...Object.keys(boundObjectRef).map((key) => `boundObjectRef${SEP}f:${key}`));
  const expirationSeconds = typeof raw.expirationSeconds === 'number' ? raw.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
  const errors = [];
  if (expirationSeconds < 600) errors.push(fieldError('FieldValueInvalid', 'spec.expirationSeconds', 'may not specify a duration less than 10 minutes', expirationSeconds));
  if (expirationSeconds > 2 ** 32) errors.push(fieldError('FieldValueInvalid', 'spec.expirationSeconds', 'may not specify a duration larger than 2^32 seconds', expirationSeconds));
  if (errors.length > 0) throw invalid(TOKEN_REQUEST.kind, TOKEN_REQUEST.group, '', errors);
  return { spec: { audiences, expirationSeconds, boundObjectRef }, setFields };
}

/** The object a token is bound to must exist (with the given uid) and belong to the same account (TokenREST). */
function resolveBoundObject(core: ApiCore, namespace: string, account: string, ref: JsonObject): BoundObject {
  const kind = String(ref.kind ?? '');
  const target = BINDABLE[kind];
  const apiVersion = String(ref.apiVersion ?? 'v1');
  if (!target || apiVersion !== 'v1') throw badRequest(`cannot bind token for serviceaccount "${account}" to object of type ${apiVersion}, Kind=${kind}`);
  const name = String(ref.name ?? '');
  const object = core.store.get(target.storage, target.namespaced ? namespace : undefined, name);
  if (!object) throw notFound({ group: '', plural: target.plural }, name);
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== object.metadata.uid) {
    throw conflict({ group: '', plural: kind }, name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  if (kind === 'Pod') {
    const spec = isJsonObject(object.spec) ? object.spec : {};
    if ((spec.serviceAccountName ?? 'default') !== account) throw badRequest(`cannot bind token for serviceaccount "${account}" to pod running with different serviceaccount name.`);
  }
  return { kind: kind as BoundObject['kind'], name, uid: object.metadata.uid ?? '' };
}

export async function requestServiceAccountToken(core: ApiCore, signer: ServiceAccountTokenSigner, ctx: RequestContext): Promise<WriteResult> {
  const namespace = ctx.namespace ?? '';
  const name = ctx.name ?? '';
  const account = core.store.get('/serviceaccounts', namespace, name);
  if (!account) throw notFound(SERVICE_ACCOUNTS, name);
  const { spec, setFields } = parseSpec(ctx);
  const boundObject = spec.boundObjectRef ? resolveBoundObject(core, namespace, name, spec.boundObjectRef) : undefined;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const claims = buildClaims({ namespace, name, uid: account.metadata.uid ?? '', audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, ...(boundObject ? { boundObject } : {}) }, nowSeconds);
  const token = await signer.sign(claims);
  const created = rfc3339(new Date(nowSeconds * 1000));
  const fieldsV1 = toFieldsV1(new Set(setFields.map((f) => `f:spec${SEP}f:${f}`)));
  const body: KubeObject = {
    kind: TOKEN_REQUEST.kind,
    apiVersion: 'authentication.k8s.io/v1',
    metadata: {
      name,
      namespace,
      creationTimestamp: created,
      managedFields: [{ manager: fieldManagerOf(ctx), operation: 'Update', apiVersion: 'authentication.k8s.io/v1', time: created, fieldsType: 'FieldsV1', fieldsV1, subresource: 'token' }],
    },
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: spec.boundObjectRef },
    status: { token, expirationTimestamp: rfc3339(new Date(claims.exp * 1000)) },
  };
  return { status: 201, body };
}

/** kube-apiserver keeps honouring a token for 60 s after its account or bound object started terminating. */
function deletedLongAgo(object: KubeObject): boolean {
  const at = object.metadata.deletionTimestamp;
  return at !== undefined && Date.parse(at) < Date.now() - 60_000;
}

/** The user behind a token this server issued, or undefined (401) once it is expired or its account or bound object is gone. */
export function authenticateServiceAccountToken(core: ApiCore, signer: ServiceAccountTokenSigner, token: string): UserInfo | undefined {
  const claims = signer.verifiedClaims(token);
  if (!claims) return undefined;
  if (claimsProblem(claims, Math.floor(Date.now() / 1000), API_AUDIENCES) !== undefined) return undefined;
  const k8s = claims['kubernetes.io'];
  const account = core.store.get('/serviceaccounts', k8s.namespace, k8s.serviceaccount.name);
  if (!account || account.metadata.uid !== k8s.serviceaccount.uid || deletedLongAgo(account)) return undefined;
  for (const [kind, ref] of [['Pod', k8s.pod], ['Secret', k8s.secret], ['Node', k8s.node]] as const) {
    if (!ref) continue;
    const target = BINDABLE[kind]!;
    const bound = core.store.get(target.storage, target.namespaced ? k8s.namespace : undefined, ref.name);
    if (!bound || bound.metadata.uid !== ref.uid || deletedLongAgo(bound)) return undefined;
  }
  return userInfoFromClaims(claims);
}

