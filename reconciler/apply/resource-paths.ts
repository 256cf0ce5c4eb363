/**
 * The REST path of an object from its apiVersion and kind, through API discovery (`GET /api/v1`,
 * `GET /apis/<group>/<version>`), cached per client: a kind's plural and scope never change while the process
 * runs. Discovery rather than a fixed table, so CRDs and webhook configurations (cli/local-install.ts) apply too.
 */
import type { KubeClient } from '../../kube/client.js';

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const discovery = new WeakMap<KubeClient, Map<string, Promise<DiscoveredResource[]>>>();

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

async function resourcesOf(client: KubeClient, apiVersion: string): Promise<DiscoveredResource[]> {
  let cache = discovery.get(client);
  if (!cache) {
    cache = new Map();
    discovery.set(client, cache);
  }
  let resources = cache.get(apiVersion);
  if (!resources) {
    resources = client.get<{ resources?: DiscoveredResource[] }>(groupVersionPath(apiVersion))
      .then((list) => (list.resources ?? []).filter((resource) => !resource.name.includes('/')));
    // A failed discovery (API server restarting, CRD not served yet) is not remembered.
    resources.catch(() => cache!.delete(apiVersion));
    cache.set(apiVersion, resources);
  }
  return resources;
}

export interface ObjectHeader {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** `/apis/apps/v1/namespaces/ns/statefulsets/name` for a StatefulSet, and so on. */
export async function objectPath(client: KubeClient, header: ObjectHeader): Promise<string> {
  let resource = (await resourcesOf(client, header.apiVersion)).find((candidate) => candidate.kind === header.kind);
  if (!resource) {
    // A kind served since the last look (a CRD just installed): ask once more.
    discovery.get(client)?.delete(header.apiVersion);
    resource = (await resourcesOf(client, header.apiVersion)).find((candidate) => candidate.kind === header.kind);
  }
  if (!resource) throw new Error(`the API server does not serve ${header.kind} in ${header.apiVersion}`);
  const base = groupVersionPath(header.apiVersion);
  const name = encodeURIComponent(header.metadata.name);
  if (!resource.namespaced) return `${base}/${resource.name}/${name}`;
  const namespace = header.metadata.namespace ?? 'default';
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.name}/${name}`;
}
