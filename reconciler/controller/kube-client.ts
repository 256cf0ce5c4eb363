/**
 * A thin JSON client for the API server: raw objects in and out (no typed deserialisation, so list results and
 * watch events have the same shape), credentials and TLS from the KubeConfig. The informers, status writes, label
 * and finalizer patches, leases and events go through it.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export type PatchType = 'merge' | 'json' | 'apply' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
  strategic: 'application/strategic-merge-patch+json',
};

export class ApiStatusError extends Error {
  constructor(readonly statusCode: number, readonly reason: string | undefined, message: string) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof ApiStatusError) return error.statusCode;
  const candidate = error as { statusCode?: unknown; code?: unknown; body?: { code?: unknown } } | undefined;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  if (typeof candidate?.code === 'number') return candidate.code;
  if (typeof candidate?.body?.code === 'number') return candidate.body.code;
  return undefined;
}

export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;

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
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export class KubeClient {
  private agent?: https.Agent | http.Agent;
  private requestOptions?: https.RequestOptions;

  constructor(readonly kubeConfig: KubeConfig) {}

  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return cluster.server;
  }

  private async baseOptions(): Promise<https.RequestOptions> {
    if (!this.requestOptions) {
      const options: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(options);
      this.requestOptions = options;
      const keepAlive = { keepAlive: true, maxSockets: 32 };
      this.agent = this.server.startsWith('https:')
        ? new https.Agent({ ...keepAlive, ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized })
        : new http.Agent(keepAlive);
    }
    return this.requestOptions;
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiStatusError on a non-2xx answer. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<T> {
    const base = await this.baseOptions();
    const url = new URL(this.server + path);
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', ...(base.headers as Record<string, string> | undefined) };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const request = transport.request(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
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
          reject(new ApiStatusError(status, statusBody?.reason, `${method} ${path}: ${status} ${statusBody?.message ?? text.slice(0, 200)}`));
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

  list<T = KubeObject>(path: string, labelSelector?: string): Promise<KubeList<T>> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return this.request<KubeList<T>>('GET', path + query);
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

  close(): void {
    this.agent?.destroy();
  }
}

/** Collection or object paths of the kinds the reconciler touches. */
export const paths = {
  kvstores: (namespace?: string) => namespace ? `/apis/redwing.dev/v1alpha1/namespaces/${namespace}/kvstores` : '/apis/redwing.dev/v1alpha1/kvstores',
  kvstore: (namespace: string, name: string) => `/apis/redwing.dev/v1alpha1/namespaces/${namespace}/kvstores/${name}`,
  statefulSets: (namespace?: string) => namespace ? `/apis/apps/v1/namespaces/${namespace}/statefulsets` : '/apis/apps/v1/statefulsets',
  statefulSet: (namespace: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
  core: (plural: string, namespace?: string) => namespace ? `/api/v1/namespaces/${namespace}/${plural}` : `/api/v1/${plural}`,
  coreObject: (plural: string, namespace: string, name: string) => `/api/v1/namespaces/${namespace}/${plural}/${name}`,
  leases: (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
  lease: (namespace: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
  allLeases: () => '/apis/coordination.k8s.io/v1/leases',
};
