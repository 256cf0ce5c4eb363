// Namespaces: a new one gets the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap; a deleted one is
// emptied, then its `kubernetes` finalizer is removed through /finalize so the API server can drop it.
import { controllerQueue } from './kube-io.js';
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { rfc3339 } from '../../shared/rfc3339.js';
import { collectionPath, discoverResources } from './discovery.js';
import type { Informer } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';

function caPem(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (cluster?.caFile) {
    try { return readFileSync(cluster.caFile, 'utf8'); } catch { /* fall through */ }
  }
  return '';
}

export class NamespaceController {
  private readonly queue: WorkQueue;
  private readonly ca: string;
  private readonly initialized = new Set<string>();

  constructor(kc: KubeConfig, private readonly rest: KubeClient, private readonly namespaces: Informer<V1Namespace>, private readonly logger: Logger) {
    this.ca = caPem(kc);
    this.queue = controllerQueue('namespace', (name) => this.sync(name), logger);
    const enqueue = (ns: V1Namespace) => this.queue.add(ns.metadata!.name!);
    namespaces.on((event, ns) => {
      if (event === 'delete') this.initialized.delete(ns.metadata?.uid ?? '');
      else enqueue(ns);
    });
  }

  stop(): void {
    void this.queue.shutdown();
  }

  private async createIgnoringConflict(path: string, body: object): Promise<void> {
    try {
      await this.rest.request('POST', path, body);
    } catch (error: unknown) {
      // 409: exists; 403: the namespace started terminating meanwhile.
      if (!isStatus(error, 409, 403)) throw error;
    }
  }

  private async sync(name: string): Promise<void> {
    const ns = this.namespaces.get(undefined, name);
    if (!ns) return;
    if (!ns.metadata?.deletionTimestamp) {
      const uid = ns.metadata?.uid ?? name;
      if (this.initialized.has(uid)) return;
      await this.createIgnoringConflict(`/api/v1/namespaces/${name}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
      await this.createIgnoringConflict(`/api/v1/namespaces/${name}/configmaps`, {
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data: { 'ca.crt': this.ca },
      });
      this.initialized.add(uid);
      return;
    }
    await this.drain(ns);
  }

  private async drain(ns: V1Namespace): Promise<void> {
    const name = ns.metadata!.name!;
    const resources = (await discoverResources(this.rest)).filter((r) => r.namespaced && r.verbs.includes('list') && r.verbs.includes('delete'));
    let remaining = 0;
    // per resource and per finalizer, for the condition messages ("kvstores.redwing.dev has 1 resource instances")
    const remainingByResource = new Map<string, number>();
    const finalizersLeft = new Map<string, number>();
    for (const info of resources) {
      let items: Array<{ metadata?: { name?: string; deletionTimestamp?: string; finalizers?: string[] } }> = [];
      try {
        items = (await this.rest.request<{ items?: typeof items }>('GET', collectionPath(info, name))).items ?? [];
      } catch (error: unknown) {
        if (isStatus(error, 404, 405)) continue;
        throw error;
      }
      const groupResource = info.group ? `${info.resource}.${info.group}` : info.resource;
      for (const item of items) {
        if (item.metadata?.deletionTimestamp) continue;
        await this.rest.request('DELETE', `${collectionPath(info, name)}/${encodeURIComponent(item.metadata!.name!)}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' })
          .catch((error: unknown) => { if (!isStatus(error, 404, 409)) throw error; });
      }
      // kube's deleter counts what is left after its deletes (a pod's DELETE answers with the pod even when it is gone)
      const left = items.length === 0 ? [] : (await this.rest.request<{ items?: typeof items }>('GET', collectionPath(info, name))).items ?? [];
      for (const item of left) {
        remaining++;
        remainingByResource.set(groupResource, (remainingByResource.get(groupResource) ?? 0) + 1);
        for (const f of item.metadata?.finalizers ?? []) finalizersLeft.set(f, (finalizersLeft.get(f) ?? 0) + 1);
      }
    }
    await this.writeConditions(ns, remainingByResource, finalizersLeft).catch((error: unknown) => this.logger.debug({ err: error }, 'namespace conditions'));
    if (remaining > 0) {
      this.queue.addAfter(name, 500);
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata?.resourceVersion }, spec: { finalizers } };
    try {
      await this.rest.request('PUT', `/api/v1/namespaces/${name}/finalize`, body);
    } catch (error: unknown) {
      if (isStatus(error, 404) && !this.namespaces.get(undefined, name)) return;
      if (!isStatus(error, 404, 405)) throw error;
      await this.rest.request('PATCH', `/api/v1/namespaces/${name}`, { spec: { finalizers } }, 'application/merge-patch+json');
    }
  }

  private async writeConditions(ns: V1Namespace, remaining: Map<string, number>, finalizers: Map<string, number>): Promise<void> {
    const now = rfc3339();
    // the stored conditions, not the cache's: a pass soon after the last write would write the same ones again
    const stored = await this.rest.request<V1Namespace>('GET', `/api/v1/namespaces/${ns.metadata!.name}`);
    const previous = stored.status?.conditions ?? [];
    const counted = (counts: Map<string, number>, wording: string) => [...counts].map(([what, n]) => `${what}${wording}${n} resource instances`).sort().join(', ');
    const make = (type: string, status: boolean, reason: string, message: string) => {
      const old = previous.find((c) => c.type === type);
      const value = status ? 'True' : 'False';
      return { type, status: value, reason, message, lastTransitionTime: old && old.status === value ? old.lastTransitionTime : now };
    };
    const conditions = [
      make('NamespaceDeletionDiscoveryFailure', false, 'ResourcesDiscovered', 'All resources successfully discovered'),
      make('NamespaceDeletionGroupVersionParsingFailure', false, 'ParsedGroupVersions', 'All legacy kube types successfully parsed'),
      make('NamespaceDeletionContentFailure', false, 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'),
      remaining.size > 0 ? make('NamespaceContentRemaining', true, 'SomeResourcesRemain', `Some resources are remaining: ${counted(remaining, ' has ')}`)
        : make('NamespaceContentRemaining', false, 'ContentRemoved', 'All content successfully removed'),
      finalizers.size > 0 ? make('NamespaceFinalizersRemaining', true, 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${counted(finalizers, ' in ')}`)
        : make('NamespaceFinalizersRemaining', false, 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'),
    ];
    if (JSON.stringify(conditions.map((c) => [c.type, c.status, c.message])) === JSON.stringify(previous.map((c) => [c.type, c.status, c.message]))) return;
    await this.rest.request('PATCH', `/api/v1/namespaces/${ns.metadata!.name}/status`, { status: { conditions } }, 'application/merge-patch+json');
  }
}
