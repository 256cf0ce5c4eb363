/** HTTPS requests with binary bodies and answers (the shared test helper reads answers as UTF-8 text). */
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RunningApiServer } from '../../../../sandbox/apiserver/server.js';

export interface BinaryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
}

export interface BinaryRequest {
  body?: Buffer;
  contentType?: string;
  accept?: string;
}

export async function requestBytes(server: RunningApiServer, method: string, path: string, options: BinaryRequest = {}): Promise<BinaryAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
  if (options.accept !== undefined) headers.accept = options.accept;
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  if (options.body !== undefined) headers['content-length'] = String(options.body.length);
  return new Promise<BinaryAnswer>((resolve, reject) => {
    const req = httpsRequest(`${server.url}${path}`, { method, headers, ca: server.caCertPem }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
