// Objects that existed before a recording started, or writes the recorder made between two kept exchanges.
// Each is rebuilt from what the recorded responses show of it.
import { waitFor } from '../../../../harness/wait-for.js';
import type { TestServer } from '../helpers.js';
import type { GoldenItem, GoldenReplayer } from './replay.js';

const RECORDER = { 'user-agent': 'golden-recorder/1.0 (linux/amd64) python-requests' };

export async function createConfigMap(t: TestServer, name: string, labels: Record<string, string>, data: Record<string, string>): Promise<void> {
  const res = await t.request('POST', '/api/v1/namespaces/golden/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data }, headers: RECORDER });
  if (res.status !== 201) throw new Error(`seed ConfigMap ${name}: ${res.status} ${res.text}`);
}

export async function createKVStore(t: TestServer, name: string, labels: Record<string, string>, spec: Record<string, unknown>, status?: Record<string, unknown>): Promise<void> {
  const path = '/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores';
  const res = await t.request('POST', path, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, labels }, spec }, headers: RECORDER });
  if (res.status !== 201) throw new Error(`seed KVStore ${name}: ${res.status} ${res.text}`);
  if (status) await setKVStoreStatus(t, name, status);
}

export async function setKVStoreStatus(t: TestServer, name: string, status: Record<string, unknown>): Promise<void> {
  const res = await t.request('PATCH', `/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores/${name}/status`, { body: { status }, contentType: 'application/merge-patch+json', headers: RECORDER });
  if (res.status !== 200) throw new Error(`seed KVStore ${name} status: ${res.status} ${res.text}`);
}

/**
 * Creates the KVStore that a recorded request's first ownerReference names, and maps the recorded owner uid to
 * ours, so the dependent the request creates points at it.
 */
export async function createOwnerOf(t: TestServer, replayer: GoldenReplayer, item: GoldenItem | undefined): Promise<void> {
  const body = item?.request?.body as { metadata?: { ownerReferences?: { name?: string; uid?: string }[] } } | undefined;
  const owner = body?.metadata?.ownerReferences?.[0];
  if (!owner?.name || !owner.uid) throw new Error('the recorded request names no owner');
  const path = '/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores';
  const res = await t.request('POST', path, { body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: owner.name }, spec: { engine: 'redis', replicas: 1 } }, headers: RECORDER });
  const uid = (res.body as { metadata?: { uid?: string } }).metadata?.uid;
  if (res.status !== 201 || !uid) throw new Error(`seed owner ${owner.name}: ${res.status} ${res.text}`);
  replayer.mapping.set(owner.uid, uid);
}

/** Waits until a controller has written the status of the object at `path` (status.observedGeneration is set). */
export async function statusObserved(t: TestServer, path: string): Promise<void> {
  await waitFor(`the status of ${path}`, async () => {
    const body = (await t.request('GET', path)).body as { status?: { observedGeneration?: number } };
    return body.status?.observedGeneration !== undefined;
  }, 15_000);
}
