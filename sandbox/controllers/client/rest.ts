// A generic JSON REST call with the kubeconfig's TLS and credentials, for resources the typed clients do not cover
// (any kind the garbage collector or namespace controller meets, discovery documents, subresources).
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class ApiError extends Error {
  constructor(readonly statusCode: number, readonly body: unknown, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isStatus(error: unknown, ...codes: number[]): boolean {
  if (error instanceof ApiError) return codes.includes(error.statusCode);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && codes.includes(code);
}

export interface RestClient {
  request<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
}

export function makeRestClient(kc: KubeConfig): RestClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const base = new URL(cluster.server);
  // client-node builds a fresh agent (a new TLS handshake) for every request; a controller that talks to the API
  // server all the time keeps its connections instead. Credentials are still applied per request.
  let agent: Agent | undefined;
  return {
    async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
      const url = new URL(path, base);
      const options: RequestOptions = {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { Accept: 'application/json', 'User-Agent': 'redwing-sandbox/0.1' },
      };
      await kc.applyToHTTPSOptions(options);
      if (url.protocol === 'https:') {
        agent ??= new Agent({
          keepAlive: true, maxSockets: 16,
          ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized,
        });
        options.agent = agent;
      }
      const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      if (payload) {
        options.headers = { ...options.headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) };
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<T>((resolve, reject) => {
        const req = send(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(parsed as T);
            else {
              const message = (parsed as { message?: string } | undefined)?.message ?? text;
              reject(new ApiError(code, parsed, `${method} ${path}: ${code} ${message}`));
            }
          });
          res.on('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
  };
}
