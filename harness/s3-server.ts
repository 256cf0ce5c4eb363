/**
 * A real S3-compatible HTTP server for tests and benchmarks, on 127.0.0.1: path-style buckets, PutObject, multipart
 * upload (initiate, part, complete, abort, with S3's 5 MiB floor for every part but the last), streaming GetObject,
 * ListObjectsV2 with continuation, DeleteObject. Every request must carry a valid SigV4 signature for a known key and,
 * when the payload is signed, a body with that SHA-256 (and Content-MD5 when sent), so a client bug shows up as the
 * 403/400 a real S3 would answer. Objects live on disk (a 1 GiB benchmark must not sit in memory) and appear
 * atomically (written aside, then renamed). `failNext` injects server errors to exercise retries.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { canonicalRequest, parseAuthorization, signature, UNSIGNED_PAYLOAD, type AwsCredentials } from '../reconciler/backups/s3/sigv4.js';

const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3ServerOptions {
  credentials: AwsCredentials[];
  buckets: string[];
  region?: string;
}

export interface TestS3Server {
  endpoint: string;
  region: string;
  /** Keys of completed objects in a bucket, sorted. */
  keys(bucket: string): Promise<string[]>;
  /** Multipart uploads begun and neither completed nor aborted. */
  openUploads(): number;
  /** The next `count` requests (after auth) answer `status` with an InternalError body. */
  failNext(count: number, status?: number): void;
  requestCount(): number;
  /** Part uploads after the next `parts` are received and never answered, as if the network stalled. */
  stallPartsAfter(parts: number): void;
  /** Parts received in total (stalled ones included). */
  partsReceived(): number;
  close(): Promise<void>;
}

interface Upload { bucket: string; key: string; dir: string }

function xmlError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Streams the body to `file` (or nowhere), returning its SHA-256 and MD5. */
async function receiveBody(request: IncomingMessage, file: string | undefined): Promise<{ sha256: string; md5: Buffer; bytes: number; text: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  const kept: Buffer[] = [];
  request.on('data', (chunk: Buffer) => {
    sha.update(chunk); md5.update(chunk); bytes += chunk.length;
    if (!file && bytes < 1024 * 1024) kept.push(chunk);
  });
  if (file) await pipeline(request, createWriteStream(file));
  else for await (const chunk of request) void chunk;
  return { sha256: sha.digest('hex'), md5: md5.digest(), bytes, text: Buffer.concat(kept).toString('utf8') };
}

export async function startS3Server(options: S3ServerOptions): Promise<TestS3Server> {
  const region = options.region ?? 'us-east-1';
  const root = await mkdtemp(join(tmpdir(), 'redwing-s3-'));
  for (const bucket of options.buckets) await mkdir(join(root, 'buckets', bucket), { recursive: true });
  await mkdir(join(root, 'staging'), { recursive: true });
  const uploads = new Map<string, Upload>();
  const etags = new Map<string, string>();
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let requests = 0;
  let partsReceived = 0;
  let stallAfterParts = Number.POSITIVE_INFINITY;

  const objectFile = (bucket: string, key: string) => join(root, 'buckets', bucket, encodeURIComponent(key));

  function authenticate(request: IncomingMessage, url: URL, rawPath: string): string | undefined {
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth) return 'AccessDenied: missing or malformed SigV4 Authorization';
    const known = options.credentials.find((candidate) => candidate.accessKeyId === auth.accessKeyId);
    if (!known) return 'InvalidAccessKeyId: unknown access key';
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    const headers = Object.fromEntries(auth.signedHeaders.map((name) => [name, String(request.headers[name] ?? '')]));
    const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
    const { text } = canonicalRequest({ method: request.method ?? 'GET', path: rawPath, query: [...url.searchParams.entries()], headers, payloadHash });
    const expected = signature(known.secretAccessKey, { region: auth.region, service: auth.service, amzDate }, text);
    if (expected !== auth.signature || auth.region !== region) return 'SignatureDoesNotMatch: the request signature does not match';
    if (known.sessionToken && request.headers['x-amz-security-token'] !== known.sessionToken) return 'InvalidToken: bad session token';
    return undefined;
  }

  function checkBody(request: IncomingMessage, body: { sha256: string; md5: Buffer }): string | undefined {
    const claimed = String(request.headers['x-amz-content-sha256'] ?? '');
    if (claimed !== UNSIGNED_PAYLOAD && claimed !== body.sha256) return 'XAmzContentSHA256Mismatch';
    const md5 = request.headers['content-md5'];
    if (md5 !== undefined && md5 !== body.md5.toString('base64')) return 'BadDigest';
    return undefined;
  }

  async function listObjects(response: ServerResponse, bucket: string, url: URL): Promise<void> {
    const prefix = url.searchParams.get('prefix') ?? '';
    const maxKeys = Number(url.searchParams.get('max-keys') ?? 1000);
    const after = url.searchParams.get('continuation-token') ?? '';
    const names = (await readdir(join(root, 'buckets', bucket))).map((name) => decodeURIComponent(name))
      .filter((key) => key.startsWith(prefix) && key > after).sort();
    const page = names.slice(0, maxKeys);
    const truncated = names.length > page.length;
    const contents = await Promise.all(page.map(async (key) => {
      const info = await stat(objectFile(bucket, key));
      return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${info.mtime.toISOString()}</LastModified><ETag>${escapeXml(etags.get(`${bucket}/${key}`) ?? '""')}</ETag><Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }));
    response.writeHead(200, { 'content-type': 'application/xml' });
    response.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${escapeXml(page.at(-1) ?? '')}</NextContinuationToken>` : ''}${contents.join('')}</ListBucketResult>`);
  }

  async function completeUpload(request: IncomingMessage, response: ServerResponse, upload: Upload, uploadId: string, xml: string): Promise<void> {
    const numbers = [...xml.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((match) => Number(match[1]));
    if (numbers.length === 0 || numbers.some((number, index) => number !== index + 1)) return xmlError(response, 400, 'InvalidPartOrder', 'parts must be 1..N in order');
    const sizes = await Promise.all(numbers.map(async (number) => (await stat(join(upload.dir, String(number)))).size));
    if (sizes.slice(0, -1).some((size) => size < MIN_PART_BYTES)) return xmlError(response, 400, 'EntityTooSmall', 'a part but the last is below 5 MiB');
    const staged = join(root, 'staging', randomUUID());
    const md5s: Buffer[] = [];
    const out = createWriteStream(staged);
    for (const number of numbers) {
      const md5 = createHash('md5');
      for await (const chunk of createReadStream(join(upload.dir, String(number)))) {
        md5.update(chunk as Buffer);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      md5s.push(md5.digest());
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await rename(staged, objectFile(upload.bucket, upload.key));
    const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${numbers.length}"`;
    etags.set(`${upload.bucket}/${upload.key}`, etag);
    uploads.delete(uploadId);
    await rm(upload.dir, { recursive: true, force: true });
    void request;
    response.writeHead(200, { 'content-type': 'application/xml' });
    response.end(`<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${upload.bucket}</Bucket><Key>${escapeXml(upload.key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`);
  }

  async function handleObject(request: IncomingMessage, response: ServerResponse, bucket: string, key: string, url: URL): Promise<void> {
    const uploadId = url.searchParams.get('uploadId');
    const method = request.method;
    if (method === 'POST' && url.searchParams.has('uploads')) {
      await receiveBody(request, undefined);
      const id = randomUUID();
      const dir = join(root, 'staging', `upload-${id}`);
      await mkdir(dir);
      uploads.set(id, { bucket, key, dir });
      response.writeHead(200, { 'content-type': 'application/xml' });
      return void response.end(`<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.bucket !== bucket || upload.key !== key) {
        await receiveBody(request, undefined);
        return xmlError(response, 404, 'NoSuchUpload', 'the upload does not exist');
      }
      if (method === 'PUT') {
        const partNumber = Number(url.searchParams.get('partNumber'));
        const staged = join(upload.dir, `${partNumber}.receiving`);
        const body = await receiveBody(request, staged);
        if (++partsReceived > stallAfterParts) return;
        const bad = checkBody(request, body);
        if (bad) return xmlError(response, 400, bad, 'the body does not match its checksum');
        await rename(staged, join(upload.dir, String(partNumber)));
        response.writeHead(200, { etag: `"${body.md5.toString('hex')}"` });
        return void response.end();
      }
      if (method === 'POST') {
        const body = await receiveBody(request, undefined);
        return completeUpload(request, response, upload, uploadId, body.text);
      }
      if (method === 'DELETE') {
        await receiveBody(request, undefined);
        uploads.delete(uploadId);
        await rm(upload.dir, { recursive: true, force: true });
        response.writeHead(204);
        return void response.end();
      }
    }
    if (method === 'PUT') {
      const staged = join(root, 'staging', randomUUID());
      const body = await receiveBody(request, staged);
      const bad = checkBody(request, body);
      if (bad) { await rm(staged, { force: true }); return xmlError(response, 400, bad, 'the body does not match its checksum'); }
      await rename(staged, objectFile(bucket, key));
      const etag = `"${body.md5.toString('hex')}"`;
      etags.set(`${bucket}/${key}`, etag);
      response.writeHead(200, { etag });
      return void response.end();
    }
    await receiveBody(request, undefined);
    if (method === 'GET') {
      const file = objectFile(bucket, key);
      const info = await stat(file).catch(() => undefined);
      if (!info) return xmlError(response, 404, 'NoSuchKey', 'the key does not exist');
      response.writeHead(200, { 'content-length': String(info.size), etag: etags.get(`${bucket}/${key}`) ?? '""', 'last-modified': info.mtime.toUTCString() });
      return void (await pipeline(createReadStream(file), response).catch(() => undefined));
    }
    if (method === 'DELETE') {
      await rm(objectFile(bucket, key), { force: true });
      etags.delete(`${bucket}/${key}`);
      response.writeHead(204);
      return void response.end();
    }
    xmlError(response, 405, 'MethodNotAllowed', `${method} is not supported here`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    requests++;
    const rawPath = (request.url ?? '/').split('?')[0] ?? '/';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const denied = authenticate(request, url, rawPath);
    if (denied) {
      await receiveBody(request, undefined);
      const [code, message] = denied.split(': ') as [string, string];
      return xmlError(response, 403, code, message);
    }
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      await receiveBody(request, undefined);
      return xmlError(response, failures.status, failures.status === 503 ? 'SlowDown' : 'InternalError', 'injected failure');
    }
    const [, bucket = '', ...keyParts] = rawPath.split('/');
    const bucketName = decodeURIComponent(bucket);
    if (!options.buckets.includes(bucketName)) {
      await receiveBody(request, undefined);
      return xmlError(response, 404, 'NoSuchBucket', `no bucket ${bucketName}`);
    }
    if (keyParts.length === 0 || (keyParts.length === 1 && keyParts[0] === '')) {
      await receiveBody(request, undefined);
      if (request.method === 'GET') return listObjects(response, bucketName, url);
      return xmlError(response, 405, 'MethodNotAllowed', 'bucket operations other than list are not supported');
    }
    return handleObject(request, response, bucketName, decodeURIComponent(keyParts.join('/')), url);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) xmlError(response, 500, 'InternalError', String(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    keys: async (bucket) => (await readdir(join(root, 'buckets', bucket))).map((name) => decodeURIComponent(name)).sort(),
    openUploads: () => uploads.size,
    failNext: (count, status = 500) => { failures = { count, status }; },
    requestCount: () => requests,
    stallPartsAfter: (parts) => { stallAfterParts = partsReceived + parts; },
    partsReceived: () => partsReceived,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
