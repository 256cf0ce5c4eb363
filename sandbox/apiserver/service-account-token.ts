/**
 * ServiceAccount tokens as kube-apiserver issues them (TokenRequest): RS256 JWTs with the `kubernetes.io` private
 * claims, signed with a key only this server holds, and the checks its token authenticator makes when one comes back.
 * The claim building and checking are pure; the signer owns the key.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { generateRsaKeyPem } from '../../certs/authority.js';
import type { UserInfo } from './types.js';
import { isPlainObject } from '../../shared/json-value.js';

/** kube-apiserver's default --service-account-issuer, which is also its default --api-audiences. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
  nbf: number;
  sub: string;
}

export interface TokenSubject {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Claims in the order go-jose writes them (alphabetical: it marshals the merged claims as a map). */
export function buildClaims(subject: TokenSubject, nowSeconds: number): ServiceAccountClaims {
  const kubernetes: ServiceAccountClaims['kubernetes.io'] = { namespace: subject.namespace, serviceaccount: { name: subject.name, uid: subject.uid } };
  const bound = subject.boundObject;
  if (bound) {
    const ref = { name: bound.name, uid: bound.uid };
    if (bound.kind === 'Pod') kubernetes.pod = ref;
    else if (bound.kind === 'Secret') kubernetes.secret = ref;
    else kubernetes.node = ref;
  }
  return {
    aud: subject.audiences,
    exp: nowSeconds + subject.expirationSeconds,
    iat: nowSeconds,
    iss: SERVICE_ACCOUNT_ISSUER,
    jti: randomUUID(),
    'kubernetes.io': kubernetes,
    nbf: nowSeconds,
    sub: serviceAccountUsername(subject.namespace, subject.name),
  };
}


function isNameUid(value: unknown): value is { name: string; uid: string } {
  return isPlainObject(value) && typeof value.name === 'string' && typeof value.uid === 'string';
}

/** Narrows decoded JSON to the claims this server writes; anything else is not one of its tokens. */
export function parseClaims(value: unknown): ServiceAccountClaims | undefined {
  if (!isPlainObject(value)) return undefined;
  const k8s = value['kubernetes.io'];
  if (!isPlainObject(k8s) || typeof k8s.namespace !== 'string' || !isNameUid(k8s.serviceaccount)) return undefined;
  const aud = typeof value.aud === 'string' ? [value.aud] : value.aud;
  if (!Array.isArray(aud) || !aud.every((a) => typeof a === 'string')) return undefined;
  for (const key of ['exp', 'iat', 'nbf'] as const) if (typeof value[key] !== 'number') return undefined;
  if (typeof value.iss !== 'string' || typeof value.sub !== 'string' || typeof value.jti !== 'string') return undefined;
  const claims = { ...value, aud } as unknown as ServiceAccountClaims;
  for (const bound of ['pod', 'secret', 'node'] as const) if (k8s[bound] !== undefined && !isNameUid(k8s[bound])) return undefined;
  return claims;
}

/** Why kube-apiserver's service-account authenticator refuses a correctly signed token, or undefined when it is fine. */
export function claimsProblem(claims: ServiceAccountClaims, nowSeconds: number, apiAudiences: string[]): string | undefined {
  if (claims.iss !== SERVICE_ACCOUNT_ISSUER) return 'wrong issuer';
  if (claims.exp <= nowSeconds) return 'token has expired';
  if (claims.nbf > nowSeconds + 60) return 'token not yet valid';
  if (!claims.aud.some((a) => apiAudiences.includes(a))) return 'token audiences do not match the API audiences';
  const k8s = claims['kubernetes.io'];
  if (claims.sub !== serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name)) return 'subject does not match the service account';
  return undefined;
}

/** The user a valid token stands for, with the extra kube-apiserver v1.32 attaches. */
export function userInfoFromClaims(claims: ServiceAccountClaims): UserInfo {
  const k8s = claims['kubernetes.io'];
  const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
  if (k8s.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
  }
  if (k8s.node) {
    extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
  }
  return {
    username: claims.sub,
    uid: k8s.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k8s.namespace}`, 'system:authenticated'],
    extra,
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

/**
 * Holds the signing key. It is made on the first TokenRequest (off the event loop), so servers that never issue a
 * token pay nothing; until then no token can be valid.
 */
export class ServiceAccountTokenSigner {
  private key: SigningKey | undefined;
  private pending: Promise<SigningKey> | undefined;

  private async signingKey(): Promise<SigningKey> {
    if (this.key) return this.key;
    this.pending ??= generateRsaKeyPem().then((pem) => {
      const privateKey = createPrivateKey(pem);
      const publicKey = createPublicKey(privateKey);
      // kube-apiserver's key id: base64url SHA-256 of the public key's DER
      const kid = base64url(createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest());
      this.key = { privateKey, publicKey, kid };
      return this.key;
    });
    return this.pending;
  }

  async sign(claims: ServiceAccountClaims): Promise<string> {
    const key = await this.signingKey();
    const signingInput = `${base64url(JSON.stringify({ alg: 'RS256', kid: key.kid }))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key.privateKey))}`;
  }

  /** The claims of a token this signer made (signature and key id checked), or undefined. */
  verifiedClaims(token: string): ServiceAccountClaims | undefined {
    if (!this.key) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    try {
      const decodedHeader: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      if (!isPlainObject(decodedHeader) || decodedHeader.alg !== 'RS256' || decodedHeader.kid !== this.key.kid) return undefined;
      if (!verify('sha256', Buffer.from(`${header}.${payload}`), this.key.publicKey, Buffer.from(signature, 'base64url'))) return undefined;
      return parseClaims(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      // not JSON inside: not one of ours
      return undefined;
    }
  }
}
