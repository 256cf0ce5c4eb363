/**
 * Discovery documents: /version, legacy discovery (/api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>) and
 * aggregated discovery (apidiscovery.k8s.io v2 and v2beta1), as recorded in golden 01.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from './registry.js';
import type { JsonObject } from './types.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.13-redwing-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z',
  goVersion: 'go1.23.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

function resourceEntry(t: ResourceType): JsonObject {
  const entry: JsonObject = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
  if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
  if (t.categories.length > 0) entry.categories = t.categories;
  entry.storageVersionHash = createHash('sha256').update(`${t.group}/${t.version}/${t.kind}`).digest('base64').slice(0, 12);
  return entry;
}

function subresourceEntries(t: ResourceType): JsonObject[] {
  const out: JsonObject[] = [];
  for (const extra of t.extraSubresources) {
    const e: JsonObject = { name: `${t.plural}/${extra.name}`, singularName: '', namespaced: t.namespaced };
    if (extra.group !== '') e.group = extra.group;
    if (extra.version !== '') e.version = extra.version;
    e.kind = extra.kind;
    e.verbs = extra.verbs;
    out.push(e);
  }
  if (t.scale) out.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUBRESOURCE_VERBS });
  if (t.status) out.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: SUBRESOURCE_VERBS });
  return out;
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): JsonObject {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  const resources = types.flatMap((t) => [resourceEntry(t), ...subresourceEntries(t)]);
  resources.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (group === '') return { kind: 'APIResourceList', groupVersion: version, resources };
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources };
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups = [...registry.groupVersions()].filter(([g]) => g !== '').map(([g, versions]) => groupEntry(g, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const versions = registry.groupVersions().get(group);
  if (!versions || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

function aggregatedResource(t: ResourceType): JsonObject {
  const entry: JsonObject = {
    resource: t.plural,
    responseKind: { group: '', version: '', kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
  if (t.categories.length > 0) entry.categories = t.categories;
  const subresources: JsonObject[] = [];
  for (const extra of t.extraSubresources) subresources.push({ subresource: extra.name, responseKind: { group: extra.group, version: extra.version, kind: extra.kind }, verbs: extra.verbs });
  if (t.scale) subresources.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: SUBRESOURCE_VERBS });
  if (t.status) subresources.push({ subresource: 'status', responseKind: { group: '', version: '', kind: t.kind }, verbs: SUBRESOURCE_VERBS });
  subresources.sort((a, b) => String(a.subresource).localeCompare(String(b.subresource)));
  if (subresources.length > 0) entry.subresources = subresources;
  return entry;
}

/** APIGroupDiscoveryList for `/api` (core only) or `/apis` (every named group). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean, apiVersion: 'v2' | 'v2beta1'): JsonObject {
  const items: JsonObject[] = [];
  for (const [group, versions] of registry.groupVersions()) {
    if ((group === '') !== core) continue;
    const metadata: JsonObject = group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null };
    items.push({
      metadata,
      versions: versions.map((version) => ({
        version,
        resources: registry
          .all()
          .filter((t) => t.group === group && t.version === version)
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map(aggregatedResource),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items };
}

/** Which aggregated form the Accept header asks for, if any. */
export function aggregatedFormRequested(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList')) {
      if (part.trim().startsWith('application/json')) return undefined;
      continue;
    }
    if (part.includes('v=v2beta1')) return 'v2beta1';
    if (part.includes('v=v2')) return 'v2';
  }
  return undefined;
}

export function etagOf(body: string): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
}
