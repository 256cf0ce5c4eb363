/**
 * A small S3 client: the calls backups need (PUT, multipart, streaming GET, ListObjectsV2, DELETE), SigV4-signed with
 * the real payload hash, over node:http(s). Written instead of @aws-sdk/client-s3 to keep the reconciler within its
 * RSS budget (docs/decisions.md, "Backups to S3"). Buffered requests are retried on network errors, 5xx and throttling;
 * a streaming GET is retried only until its response starts.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { authorizationHeader, EMPTY_PAYLOAD_HASH, toAmzDate, uriEncode, type AwsCredentials } from './sigv4.js';
import { parseS3Error, parseListObjects, readXmlTag, type ListedObject } from './s3-xml.js';

export interface S3ClientOptions {
  /** `https://s3.<region>.amazonaws.com` when unset. */
  endpoint?: string;
  region: string;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO, Ceph and most self-hosted servers). */
  forcePathStyle?: boolean;
  credentials: AwsCredentials;
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** Base of the exponential back-off between attempts. */
  retryBaseMs?: number;
}

export class S3RequestError extends Error {
  constructor(message: string, readonly statusCode: number | undefined, readonly code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3RequestError';
  }

  /** Worth another attempt: the network, the server, or throttling; never a refusal of the request itself. */
  get retryable(): boolean {
    return this.statusCode === undefined || this.statusCode >= 500 || this.statusCode === 429 || this.code === 'SlowDown' || this.code === 'RequestTimeout';
  }
}

/** The S3 refusal behind a wrapped error (uploads wrap the client's errors with what was being uploaded). */
export function findS3RequestError(error: unknown): S3RequestError | undefined {
  let current: unknown = error;
  // Bounded: cause chains here are a few links long.
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    if (current instanceof S3RequestError) return current;
    current = current.cause;
  }
  return undefined;
}

interface S3Call {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  bucket: string;
  key?: string;
  query?: Array<[string, string]>;
  body?: Buffer;
  headers?: Record<string, string>;
}

export const DEFAULT_S3_MAX_ATTEMPTS = 4;

export class S3Client {
  private readonly endpoint: URL;

  constructor(private readonly options: S3ClientOptions) {
    this.endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
  }

  async putObject(bucket: string, key: string, body: Buffer): Promise<{ etag: string }> {
    const response = await this.send({ method: 'PUT', bucket, key, body, headers: { 'content-md5': md5Base64(body) } });
    return { etag: response.headers.etag ?? '' };
  }

  async createMultipartUpload(bucket: string, key: string): Promise<string> {
    const response = await this.send({ method: 'POST', bucket, key, query: [['uploads', '']] });
    const uploadId = readXmlTag(response.text, 'UploadId');
    if (!uploadId) throw new S3RequestError(`CreateMultipartUpload of ${key}: no UploadId in the answer`, response.statusCode, undefined);
    return uploadId;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    const response = await this.send({
      method: 'PUT', bucket, key, body, headers: { 'content-md5': md5Base64(body) },
      query: [['partNumber', String(partNumber)], ['uploadId', uploadId]],
    });
    const etag = response.headers.etag;
    if (!etag) throw new S3RequestError(`UploadPart ${partNumber} of ${key}: no ETag in the answer`, response.statusCode, undefined);
    return etag;
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, etags: readonly string[]): Promise<void> {
    const parts = etags.map((etag, index) => `<Part><PartNumber>${index + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('');
    const body = Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`);
    const response = await this.send({ method: 'POST', bucket, key, body, query: [['uploadId', uploadId]] });
    // S3 may answer 200 and still report an error in the body once the parts are assembled.
    const failure = parseS3Error(response.text);
    if (failure) throw new S3RequestError(`CompleteMultipartUpload of ${key}: ${failure.code}: ${failure.message}`, response.statusCode, failure.code);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.send({ method: 'DELETE', bucket, key, query: [['uploadId', uploadId]] });
  }

  /** Every object under `prefix`, following continuation tokens; `pageSize` is S3's max-keys (1000 when unset). */
  async listObjects(bucket: string, prefix: string, pageSize?: number): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    // Bounded: 1000 pages of 1000 keys is far beyond any backup folder.
    for (let page = 0; page < 1000; page++) {
      const query: Array<[string, string]> = [['list-type', '2'], ['prefix', prefix]];
      if (token) query.push(['continuation-token', token]);
      if (pageSize) query.push(['max-keys', String(pageSize)]);
      const response = await this.send({ method: 'GET', bucket, query });
      const listed = parseListObjects(response.text);
      objects.push(...listed.objects);
      if (!listed.nextToken) return objects;
      token = listed.nextToken;
    }
    throw new S3RequestError(`ListObjectsV2 ${bucket}/${prefix}: more than 1000 pages`, undefined, undefined);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.send({ method: 'DELETE', bucket, key });
  }

  /** The object's body as a stream (the caller consumes or destroys it); the length when the server sends one. */
  async getObject(bucket: string, key: string): Promise<{ body: IncomingMessage; sizeBytes: number | undefined }> {
    return this.withRetries(`GET ${bucket}/${key}`, async () => {
      const response = await this.open({ method: 'GET', bucket, key });
      if (response.statusCode === 200) {
        const length = Number(response.headers['content-length']);
        return { body: response, sizeBytes: Number.isFinite(length) ? length : undefined };
      }
      const text = await readBody(response);
      throw toRequestError(`GET ${bucket}/${key}`, response.statusCode, text);
    });
  }

  private async send(call: S3Call): Promise<{ statusCode: number; headers: IncomingMessage['headers']; text: string }> {
    const what = `${call.method} ${call.bucket}/${call.key ?? ''}`;
    return this.withRetries(what, async () => {
      const response = await this.open(call);
      const text = await readBody(response);
      const statusCode = response.statusCode ?? 0;
      if (statusCode >= 300) throw toRequestError(what, statusCode, text);
      return { statusCode, headers: response.headers, text };
    });
  }

  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_S3_MAX_ATTEMPTS;
    const baseMs = this.options.retryBaseMs ?? 200;
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        const failure = error instanceof S3RequestError ? error : new S3RequestError(`${what}: ${String(error)}`, undefined, undefined, { cause: error });
        if (!failure.retryable || attemptNumber >= maxAttempts) throw failure;
        await sleep(baseMs * 2 ** (attemptNumber - 1));
      }
    }
  }

  private open(call: S3Call): Promise<IncomingMessage> {
    const { hostname, path, port } = this.address(call.bucket, call.key);
    const body = call.body ?? Buffer.alloc(0);
    const payloadHash = call.body ? createHash('sha256').update(body).digest('hex') : EMPTY_PAYLOAD_HASH;
    const amzDate = toAmzDate(new Date());
    const host = port ? `${hostname}:${port}` : hostname;
    const headers: Record<string, string> = {
      host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash, ...(call.headers ?? {}),
    };
    if (this.options.credentials.sessionToken) headers['x-amz-security-token'] = this.options.credentials.sessionToken;
    const query = call.query ?? [];
    headers.authorization = authorizationHeader(this.options.credentials, { region: this.options.region, service: 's3', amzDate }, {
      method: call.method, path, query, headers, payloadHash,
    });
    headers['content-length'] = String(body.length);
    const search = query.map(([name, value]) => (value === '' && name === 'uploads' ? name : `${uriEncode(name)}=${uriEncode(value)}`)).join('&');
    const send = this.endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send({
        protocol: this.endpoint.protocol, hostname, port: port || undefined, method: call.method,
        path: search ? `${path}?${search}` : path, headers, timeout: this.options.requestTimeoutMs ?? 60_000,
      }, resolve);
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${this.options.requestTimeoutMs ?? 60_000} ms`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  private address(bucket: string, key: string | undefined): { hostname: string; port: string; path: string } {
    const keyPath = key === undefined ? '' : uriEncode(key, true);
    const base = this.endpoint.pathname.replace(/\/+$/, '');
    if (this.options.forcePathStyle) {
      return { hostname: this.endpoint.hostname, port: this.endpoint.port, path: `${base}/${uriEncode(bucket)}${key === undefined ? '' : `/${keyPath}`}` || '/' };
    }
    return { hostname: `${bucket}.${this.endpoint.hostname}`, port: this.endpoint.port, path: `${base}/${keyPath}` };
  }
}

function md5Base64(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function toRequestError(what: string, statusCode: number | undefined, text: string): S3RequestError {
  const failure = parseS3Error(text);
  return new S3RequestError(`${what}: HTTP ${statusCode}${failure ? ` ${failure.code}: ${failure.message}` : ''}`, statusCode, failure?.code);
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
