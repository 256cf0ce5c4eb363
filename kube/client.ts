/**
 * A thin JSON client for the API server: raw objects in and out (no typed deserialisation, so list results and
 * watch events have the same shape), credentials and TLS from a ClusterAccess (cluster-access.ts) or a client-node
 * KubeConfig. Everything the reconciler, certs and the webhook's watches send goes through it: informers (list +
 * watch), server-side apply, status writes, label and finalizer patches, leases and events.
 */
import http from 'node:http';
import https from 'node:https';
import { resolveClusterAccess, type ClusterAccess, type ClusterSource, type ClusterTls } from './cluster-access.js';
import { ApiStatusError, isNotFound } from './errors.js';

export type PatchType = 'merge' | 'json' | 'apply' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
  strategic: 'application/strategic-merge-patch+json',
};

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export type WatchHandler = (type: string, object: unknown) => void;

/** A running watch; `abort()` ends it without calling the done callback with an error. */
export interface WatchHandle {
  abort(): void;
}

export interface KubeClientOptions {
  /**
   * Sent as User-Agent. The API server names the field manager of a write without `fieldManager` after it (up to
   * the first '/'), so it decides who owns the fields in managedFields.
   */
  userAgent?: string;
}

export class KubeClient {
  private agent?: https.Agent | http.Agent;
  private access?: Promise<ClusterAccess>;
  private tls: ClusterTls = {};

  constructor(readonly source: ClusterSource, private readonly options: KubeClientOptions = {}) {}

  private async baseAccess(): Promise<ClusterAccess> {
    this.access ??= resolveClusterAccess(this.source).then((access) => {
      this.tls = access.tls;
      const keepAlive = { keepAlive: true, maxSockets: 32 };
      this.agent = access.server.startsWith('https:') ? new https.Agent({ ...keepAlive, ...access.tls }) : new http.Agent(keepAlive);
      return access;
    });
    return this.access;
  }

  private async start(method: string, path: string, contentType?: string, contentLength?: number): Promise<{ url: URL; options: https.RequestOptions }> {
    const access = await this.baseAccess();
    const url = new URL(access.server + path);
    const headers: Record<string, string> = { Accept: 'application/json', ...(await access.headers()) };
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    if (contentType) headers['Content-Type'] = contentType;
    if (contentLength !== undefined) headers['Content-Length'] = String(contentLength);
    return { url, options: { method, headers, agent: this.agent } };
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiStatusError on a non-2xx answer. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const { url, options } = await this.start(method, path, payload ? contentType : undefined, payload?.length);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const request = transport.request(url, { ...options, timeout: timeoutMs }, (response) => {
        // Decoded chunk by chunk into V8 strings: one multi-megabyte Buffer per large list would come from malloc,
        // whose freed memory glibc keeps (RSS stays at the high-water mark), where the V8 heap shrinks back.
        const chunks: string[] = [];
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = chunks.join('');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const statusBody = parsed as { message?: string; reason?: string } | undefined;
          reject(new ApiStatusError(status, statusBody?.reason, `${method} ${path}: ${status} ${statusBody?.message ?? text.slice(0, 200)}`, parsed));
        });
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      request.on('error', reject);
      if (payload) request.write(payload);
      request.end();
    });
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that resolves undefined on 404. */
  async getOptional<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One list request; with `limit`, one page (follow `metadata.continue` for the next). */
  list<T = KubeObject>(path: string, labelSelector?: string, page?: { limit: number; continue?: string }): Promise<KubeList<T>> {
    const query = new URLSearchParams();
    if (labelSelector) query.set('labelSelector', labelSelector);
    if (page) query.set('limit', String(page.limit));
    if (page?.continue) query.set('continue', page.continue);
    const search = query.toString();
    return this.request<KubeList<T>>('GET', search ? `${path}?${search}` : path);
  }

  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T = KubeObject>(path: string, body: unknown, type: PatchType = 'merge', query = ''): Promise<T> {
    return this.request<T>('PATCH', path + query, body, PATCH_CONTENT_TYPES[type]);
  }

  /** DELETE that treats 404 as done. */
  async delete(path: string, body?: unknown): Promise<void> {
    try {
      await this.request('DELETE', path, body);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Watches a collection: `onEvent` gets each event (type and raw object) of the newline-delimited JSON stream;
   * `onDone` is called once, with an error when the stream broke, without one when the server ended it. Resolves
   * once the server answered 200; rejects (and never calls onDone) on any other answer.
   */
  async watch(path: string, query: Record<string, string | number | boolean>, onEvent: WatchHandler, onDone: (error?: unknown) => void): Promise<WatchHandle> {
    const search = new URLSearchParams({ watch: 'true' });
    for (const [name, value] of Object.entries(query)) search.set(name, String(value));
    const { url, options } = await this.start('GET', `${path}?${search}`);
    const transport = url.protocol === 'https:' ? https : http;
    let finished = false;
    let aborted = false;
    let responded = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      if (!aborted) onDone(error);
    };
    return new Promise<WatchHandle>((resolve, reject) => {
      // Not the pooled agent: a watch holds its socket for minutes, which would starve ordinary requests.
      const request = transport.request(url, { ...options, agent: false, ...this.tls }, (response) => {
        responded = true;
        if (response.statusCode !== 200) {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            finished = true;
            const text = Buffer.concat(chunks).toString('utf8');
            reject(new ApiStatusError(response.statusCode ?? 0, undefined, `WATCH ${path}: ${response.statusCode} ${text.slice(0, 200)}`));
          });
          return;
        }
        let pending = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          pending += chunk;
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            newline = pending.indexOf('\n');
            if (!line) continue;
            let event: { type?: string; object?: unknown };
            try {
              event = JSON.parse(line) as { type?: string; object?: unknown };
            } catch (error) {
              request.destroy(new Error(`WATCH ${path}: malformed event`, { cause: error }));
              return;
            }
            if (event.type) onEvent(event.type, event.object);
          }
        });
        response.on('error', (error) => finish(error));
        response.on('aborted', () => finish(new Error(`WATCH ${path}: connection aborted`)));
        response.on('end', () => finish());
        resolve({ abort: () => { aborted = true; request.destroy(); } });
      });
      request.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      request.on('error', (error) => {
        if (finished || aborted) return;
        if (responded) finish(error);
        else {
          finished = true;
          reject(error);
        }
      });
      request.end();
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}
