import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ApiServerOptions, RunningApiServer } from '../../../sandbox/apiserver/server.js';
import { startTestApiServer } from '../../helpers/api-server.js';

export interface TestServer {
  server: RunningApiServer;
  kc: KubeConfig;
  dir: string;
  /** raw HTTPS request with the admin token; body is parsed JSON when possible */
  request(method: string, path: string, options?: { body?: unknown; contentType?: string; accept?: string; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: any; text: string }>;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<Omit<ApiServerOptions, 'dir'>> = {}): Promise<TestServer> {
  const { server, kubeConfig: kc, dir, stop } = await startTestApiServer({ dirPrefix: 'sandbox-apiserver-', ...options });
  return {
    server,
    kc,
    dir,
    close: stop,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? server.token}`;
      if (opts.accept) headers.accept = opts.accept;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] = opts.contentType ?? 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const res = await new Promise<{ status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; text: string }>((resolve, reject) => {
        const req = httpsRequest(`${server.url}${path}`, { method, headers, ca: server.caCertPem }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, rawHeaders: response.rawHeaders, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
      const text = res.text;
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, rawHeaders: res.rawHeaders, body: parsed, text };
    },
  };
}
