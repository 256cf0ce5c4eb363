// Endpoints and EndpointSlices for Services with a selector: ready and not-ready pod addresses, headless too.
// The sandbox's pod IPs are loopback addresses; its API server accepts them, kube-apiserver (and the sandbox's in strict
// mode) refuses them with 422. Then, as kube-controller-manager's endpoints and endpointslice controllers do, the write
// fails, a FailedToUpdateEndpoint / FailedToUpdateEndpointSlices Warning Event says why, and the sync is retried with
// back-off: nothing with a loopback address is ever stored. The service proxy does not need these objects.
import { controllerQueue } from './kube-io.js';
import type { KubernetesObject, V1Endpoints, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { mapSelectorMatches } from './selectors.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { apiErrorMessage, isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import { endpointPods, podReady, resolveTargetPort } from './pod-endpoints.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

export interface EndpointSlice extends KubernetesObject {
  addressType: string;
  endpoints: Array<{
    addresses: string[];
    conditions: { ready: boolean; serving: boolean; terminating: boolean };
    targetRef?: { kind: string; namespace?: string; name?: string; uid?: string };
    nodeName?: string;
  }> | null;
  ports: Array<{ name?: string; port?: number; protocol?: string }> | null;
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export class EndpointsController {
  private readonly queue: WorkQueue;
  /** Slices created but not yet seen by the informer: never create a second one meanwhile. */
  private readonly createdAt = new Map<string, number>();
  /** Invalid-write Events already recorded (service uid/reason -> message). */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly rest: KubeClient,
    private readonly services: Informer<V1Service>,
    private readonly pods: Informer<V1Pod>,
    private readonly endpoints: Informer<V1Endpoints>,
    private readonly slices: Informer<EndpointSlice>,
    private readonly events: EventRecorder,
    private readonly logger: Logger,
  ) {
    this.queue = controllerQueue('endpoints', (key) => this.sync(key), logger);
    const enqueue = (svc: V1Service) => this.queue.add(objectKey(svc));
    services.on((_event, svc) => enqueue(svc));
    const onPod = (pod: V1Pod, old?: V1Pod) => {
      for (const svc of services.list(inNamespace(pod.metadata?.namespace))) {
        if (mapSelectorMatches(svc.spec?.selector, pod.metadata?.labels) || (old && mapSelectorMatches(svc.spec?.selector, old.metadata?.labels))) {
          this.queue.add(objectKey(svc));
        }
      }
    };
    pods.on((_event, pod, old) => onPod(pod, old));
    // Someone else edited or deleted what this controller owns: put it back.
    const onEndpoints = (ep: KubernetesObject) => this.queue.add(objectKey(ep));
    endpoints.on((event, ep) => { if (event !== 'add') onEndpoints(ep); });
    const onSlice = (slice: EndpointSlice) => {
      const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.queue.add(`${slice.metadata?.namespace}/${svc}`);
    };
    slices.on((event, slice) => { if (event !== 'add') onSlice(slice); });
  }

  stop(): void {
    void this.queue.shutdown();
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(namespace, name);
    const mySlices = this.slices.list(inNamespace(namespace)).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    if (!svc || svc.metadata?.deletionTimestamp) {
      if (svc) return;
      for (const slice of mySlices) await this.remove(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${slice.metadata?.name}`);
      if (this.endpoints.get(namespace, name)) await this.remove(`/api/v1/namespaces/${namespace}/endpoints/${name}`);
      return;
    }
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;
    const publishNotReady = !!svc.spec.publishNotReadyAddresses;
    const pods = endpointPods(svc, this.pods.list(inNamespace(namespace)));
    const ports = svc.spec.ports ?? [];
    // The two objects are the work of two controllers in kube-controller-manager: one failing does not stop the other.
    const failures: unknown[] = [];
    await this.writeEndpoints(svc, pods, ports, publishNotReady).catch((error: unknown) => {
      failures.push(error);
      this.reportInvalid(svc, error, 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}`);
    });
    await this.writeSlice(svc, pods, ports, publishNotReady, mySlices).catch((error: unknown) => {
      failures.push(error);
      this.reportInvalid(svc, error, 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}`);
    });
    if (failures.length === 0) for (const reason of ['FailedToUpdateEndpoint', 'FailedToUpdateEndpointSlices']) this.reported.delete(`${svc.metadata?.uid}/${reason}`);
    if (failures.length > 0) throw new Error(`syncing endpoints of ${key}`, { cause: failures[0] });
  }

  /** A write the server refused as invalid (422): a Warning Event on the Service, once per distinct message. */
  private reportInvalid(svc: V1Service, error: unknown, reason: string, prefix: string): void {
    if (!isStatus(error, 422)) return;
    const message = `${prefix}: ${apiErrorMessage(error)}`;
    const key = `${svc.metadata?.uid}/${reason}`;
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    void this.events.record({ ...svc, apiVersion: 'v1', kind: 'Service' }, { type: 'Warning', reason, message });
  }

  private async remove(path: string): Promise<void> {
    try {
      await this.rest.request('DELETE', path);
    } catch (error: unknown) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  private async writeEndpoints(svc: V1Service, pods: V1Pod[], ports: V1ServicePort[], publishNotReady: boolean): Promise<void> {
    const namespace = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    const subsets = new Map<string, { addresses: object[]; notReadyAddresses: object[]; ports: object[] }>();
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp && !publishNotReady) continue;
      const resolved = ports.map((p) => ({ name: p.name, port: resolveTargetPort(p, pod), protocol: p.protocol ?? 'TCP' }))
        .filter((p) => p.port !== undefined);
      if (ports.length > 0 && resolved.length === 0) continue;
      const subsetKey = JSON.stringify(resolved);
      let subset = subsets.get(subsetKey);
      if (!subset) {
        subset = { addresses: [], notReadyAddresses: [], ports: resolved.map((p) => (p.name ? p : { port: p.port, protocol: p.protocol })) };
        subsets.set(subsetKey, subset);
      }
      const address = {
        ip: pod.status!.podIP!,
        ...(pod.spec?.hostname && pod.spec.subdomain === name ? { hostname: pod.spec.hostname } : {}),
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
      };
      if (podReady(pod) || publishNotReady) subset.addresses.push(address);
      else subset.notReadyAddresses.push(address);
    }
    const desiredSubsets = [...subsets.values()].map((s) => ({
      ...(s.addresses.length ? { addresses: s.addresses } : {}),
      ...(s.notReadyAddresses.length ? { notReadyAddresses: s.notReadyAddresses } : {}),
      ...(s.ports.length ? { ports: s.ports } : {}),
    }));
    const labels: Record<string, string> = { ...svc.metadata?.labels };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const existing = this.endpoints.get(namespace, name);
    if (existing && sortedJson(existing.subsets ?? []) === sortedJson(desiredSubsets) && sortedJson(existing.metadata?.labels ?? {}) === sortedJson(labels)) return;
    const body = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: {
        name, namespace, labels,
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': rfc3339() },
        ...(existing ? { resourceVersion: existing.metadata?.resourceVersion } : {}),
      },
      ...(desiredSubsets.length ? { subsets: desiredSubsets } : {}),
    };
    if (existing) await this.rest.request('PUT', `/api/v1/namespaces/${namespace}/endpoints/${name}`, body);
    else {
      try {
        await this.rest.request('POST', `/api/v1/namespaces/${namespace}/endpoints`, body);
      } catch (error: unknown) {
        if (!isStatus(error, 409)) throw error;
        throw new Error('endpoints appeared concurrently; retrying', { cause: error });
      }
    }
  }

  private async writeSlice(svc: V1Service, pods: V1Pod[], ports: V1ServicePort[], publishNotReady: boolean, existing: EndpointSlice[]): Promise<void> {
    const namespace = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    const endpoints: NonNullable<EndpointSlice['endpoints']> = [];
    let slicePorts: NonNullable<EndpointSlice['ports']> = [];
    for (const pod of pods) {
      const resolved = ports.map((p) => ({ name: p.name ?? '', port: resolveTargetPort(p, pod), protocol: p.protocol ?? 'TCP' }));
      if (resolved.some((p) => p.port === undefined)) continue;
      if (slicePorts.length === 0) slicePorts = resolved;
      const ready = podReady(pod) && !pod.metadata?.deletionTimestamp;
      endpoints.push({
        addresses: [pod.status!.podIP!],
        conditions: { ready: ready || publishNotReady, serving: podReady(pod), terminating: !!pod.metadata?.deletionTimestamp },
        targetRef: { kind: 'Pod', namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      });
    }
    if (slicePorts.length === 0) {
      slicePorts = ports.filter((p) => typeof p.targetPort === 'number' || p.targetPort === undefined)
        .map((p) => ({ name: p.name ?? '', port: (p.targetPort as number | undefined) ?? p.port, protocol: p.protocol ?? 'TCP' }));
    }
    const desired = { endpoints: endpoints.length ? endpoints : null, ports: slicePorts.length ? slicePorts : null };
    const labels: Record<string, string> = { ...svc.metadata?.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const [current, ...extra] = existing;
    for (const slice of extra) await this.remove(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${slice.metadata?.name}`);
    const key = `${namespace}/${name}`;
    if (current) this.createdAt.delete(key);
    else if (Date.now() - (this.createdAt.get(key) ?? 0) < 5000) {
      this.queue.addAfter(key, 200);
      return;
    }
    if (current && sortedJson(current.endpoints) === sortedJson(desired.endpoints) && sortedJson(current.ports) === sortedJson(desired.ports)
      && sortedJson(current.metadata?.labels) === sortedJson(labels)) return;
    const body: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        ...(current ? { name: current.metadata?.name, resourceVersion: current.metadata?.resourceVersion } : { generateName: `${name}-` }),
        namespace, labels,
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': rfc3339() },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      ...desired,
    };
    if (current) await this.rest.request('PUT', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${current.metadata?.name}`, body);
    else {
      await this.rest.request('POST', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, body);
      this.createdAt.set(key, Date.now());
    }
  }
}
