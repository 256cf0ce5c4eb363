/**
 * A tiny in-test Kubernetes API: just the endpoints certs/ calls (Secrets; Mutating/ValidatingWebhookConfigurations
 * with watch), with real resourceVersion semantics: create of an existing name is 409 AlreadyExists, a replace at a
 * stale resourceVersion is 409 Conflict. Used where the sandbox API server is not available.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type KubeObject = { metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

interface Collection {
  kind: string;
  apiVersion: string;
  namespaced: boolean;
}

const COLLECTIONS: Array<{ pattern: RegExp; collection: Collection }> = [
  { pattern: /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/, collection: { kind: 'Secret', apiVersion: 'v1', namespaced: true } },
  {
    pattern: /^\/apis\/admissionregistration\.k8s\.io\/v1\/()mutatingwebhookconfigurations(?:\/([^/]+))?$/,
    collection: { kind: 'MutatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', namespaced: false },
  },
  {
    pattern: /^\/apis\/admissionregistration\.k8s\.io\/v1\/()validatingwebhookconfigurations(?:\/([^/]+))?$/,
    collection: { kind: 'ValidatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', namespaced: false },
  },
];

export interface FakeKube {
  kubeConfig: KubeConfig;
  url: string;
  /** direct access for assertions and for simulating other writers */
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  put(kind: string, object: KubeObject): KubeObject;
  /** counts of requests by `METHOD kind` and of 409 answers */
  counts: Map<string, number>;
  /** delay every write this long, widening races between concurrent clients */
  writeDelayMs: number;
  /** end every open watch stream (clients must reconnect) */
  dropWatches(): void;
  stop(): Promise<void>;
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }));
}

async function readBody(request: IncomingMessage): Promise<KubeObject> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
}

export async function startFakeKube(): Promise<FakeKube> {
  const objects = new Map<string, KubeObject>();
  const watchers = new Set<{ kind: string; response: ServerResponse }>();
  const counts = new Map<string, number>();
  let revision = 100;
  const keyOf = (kind: string, namespace: string | undefined, name: string): string => `${kind}/${namespace ?? ''}/${name}`;
  const count = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const store = (kind: string, object: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject => {
    const saved = structuredClone(object);
    saved.metadata.resourceVersion = String(++revision);
    objects.set(keyOf(kind, saved.metadata.namespace, saved.metadata.name), saved);
    for (const watcher of watchers) {
      if (watcher.kind === kind) watcher.response.write(`${JSON.stringify({ type, object: saved })}\n`);
    }
    return saved;
  };
  const fake: FakeKube = {
    kubeConfig: new KubeConfig(),
    url: '',
    counts,
    writeDelayMs: 0,
    get: (kind, name, namespace) => structuredClone(objects.get(keyOf(kind, namespace, name))),
    put: (kind, object) => {
      const exists = objects.has(keyOf(kind, object.metadata.namespace, object.metadata.name));
      return store(kind, object, exists ? 'MODIFIED' : 'ADDED');
    },
    dropWatches: () => {
      for (const watcher of watchers) watcher.response.end();
      watchers.clear();
    },
    stop: async () => {
      fake.dropWatches();
      server.closeAllConnections();
      server.close();
    },
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = COLLECTIONS.map(({ pattern, collection }) => ({ m: pattern.exec(url.pathname), collection })).find((x) => x.m);
    if (!match?.m) return status(response, 404, 'NotFound', `no route ${url.pathname}`);
    const { collection } = match;
    const namespace = collection.namespaced ? match.m[1] : undefined;
    const name = match.m[2];
    const method = request.method ?? 'GET';
    count(`${method} ${collection.kind}`);
    if (method === 'GET' && !name && url.searchParams.get('watch') === 'true') {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (const object of objects.values()) {
        if ((object as { kind?: string }).kind === collection.kind) response.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
      }
      const watcher = { kind: collection.kind, response };
      watchers.add(watcher);
      request.on('close', () => watchers.delete(watcher));
      return;
    }
    if (method === 'GET' && name) {
      const object = objects.get(keyOf(collection.kind, namespace, name));
      if (!object) return status(response, 404, 'NotFound', `${collection.kind} ${name} not found`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(object));
      return;
    }
    if (method === 'POST' && !name) {
      const body = await readBody(request);
      if (fake.writeDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.writeDelayMs));
      const objectName = body.metadata?.name;
      if (!objectName) return status(response, 422, 'Invalid', 'metadata.name required');
      if (objects.has(keyOf(collection.kind, namespace, objectName))) {
        count('409');
        return status(response, 409, 'AlreadyExists', `${collection.kind} ${objectName} already exists`);
      }
      const saved = store(collection.kind, { ...body, kind: collection.kind, apiVersion: collection.apiVersion, metadata: { ...body.metadata, name: objectName, ...(namespace ? { namespace } : {}) } }, 'ADDED');
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify(saved));
      return;
    }
    if (method === 'PUT' && name) {
      const body = await readBody(request);
      if (fake.writeDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.writeDelayMs));
      const existing = objects.get(keyOf(collection.kind, namespace, name));
      if (!existing) return status(response, 404, 'NotFound', `${collection.kind} ${name} not found`);
      const sent = body.metadata?.resourceVersion;
      if (sent && sent !== existing.metadata.resourceVersion) {
        count('409');
        return status(response, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const saved = store(collection.kind, { ...body, kind: collection.kind, apiVersion: collection.apiVersion, metadata: { ...body.metadata, name, ...(namespace ? { namespace } : {}) } }, 'MODIFIED');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(saved));
      return;
    }
    status(response, 405, 'MethodNotAllowed', `${method} not supported by the fake`);
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => status(response, 500, 'InternalError', String(error)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: fake.url, skipTLSVerify: true }],
    users: [{ name: 'fake', token: 'fake-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return fake;
}
