// Which resources the API server serves (legacy discovery), for the controllers that handle every kind:
// the garbage collector and the namespace controller.
import type { KubeClient } from '../../kube/client.js';

export interface ApiResourceInfo {
  group: string;
  version: string;
  /** `v1` or `apps/v1`. */
  apiVersion: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

interface ResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

interface GroupList {
  groups?: Array<{ name: string; preferredVersion?: { groupVersion: string }; versions?: Array<{ groupVersion: string }> }>;
}

export function collectionPath(info: ApiResourceInfo, namespace?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return namespace && info.namespaced ? `${base}/namespaces/${namespace}/${info.resource}` : `${base}/${info.resource}`;
}

export function objectPath(info: ApiResourceInfo, namespace: string | undefined, name: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

export async function discoverResources(rest: KubeClient): Promise<ApiResourceInfo[]> {
  const out: ApiResourceInfo[] = [];
  const add = (groupVersion: string, list: ResourceList) => {
    const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') as [string, string] : ['', groupVersion];
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      out.push({ group, version, apiVersion: groupVersion, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] });
    }
  };
  add('v1', await rest.request<ResourceList>('GET', '/api/v1'));
  const groups = await rest.request<GroupList>('GET', '/apis');
  await Promise.all((groups.groups ?? []).map(async (g) => {
    const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
    if (!gv) return;
    try {
      add(gv, await rest.request<ResourceList>('GET', `/apis/${gv}`));
    } catch {
      // A group that vanished meanwhile (a CRD being deleted).
    }
  }));
  return out;
}
