/**
 * AWS Signature Version 4 for S3 requests (header-based, with `x-amz-content-sha256`). Pure: the same functions sign
 * the client's requests and let the test server check them, and a unit test pins them to AWS's published example.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestToSign {
  method: string;
  /** The path exactly as sent, already URI-encoded per segment. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names; every one given is signed. */
  headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

export interface SigningScope {
  region: string;
  service: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
}

export const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, `/` kept only in paths. */
export function uriEncode(value: string, keepSlash = false): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')) return char;
    return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

export function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function canonicalQuery(query: RequestToSign['query']): string {
  return query.map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`).join('&');
}

export function canonicalRequest(request: RequestToSign): { text: string; signedHeaders: string } {
  const names = Object.keys(request.headers).map((name) => name.toLowerCase()).sort();
  const lowered = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const headerLines = names.map((name) => `${name}:${String(lowered[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const text = [request.method, request.path, canonicalQuery(request.query), headerLines, signedHeaders, request.payloadHash].join('\n');
  return { text, signedHeaders };
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function credentialScope(scope: SigningScope): string {
  return `${scope.amzDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
}

export function signature(secretAccessKey: string, scope: SigningScope, canonicalText: string): string {
  const stringToSign = ['AWS4-HMAC-SHA256', scope.amzDate, credentialScope(scope), createHash('sha256').update(canonicalText, 'utf8').digest('hex')].join('\n');
  const dateKey = hmac(`AWS4${secretAccessKey}`, scope.amzDate.slice(0, 8));
  const signingKey = hmac(hmac(hmac(dateKey, scope.region), scope.service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** The `Authorization` header value for a request whose headers already include `host` and `x-amz-date`. */
export function authorizationHeader(credentials: AwsCredentials, scope: SigningScope, request: RequestToSign): string {
  const { text, signedHeaders } = canonicalRequest(request);
  const value = signature(credentials.secretAccessKey, scope, text);
  return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope(scope)}, SignedHeaders=${signedHeaders}, Signature=${value}`;
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Reads an `Authorization: AWS4-HMAC-SHA256 …` header; undefined when it is not one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, value] = match as unknown as [string, string, string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature: value };
}
