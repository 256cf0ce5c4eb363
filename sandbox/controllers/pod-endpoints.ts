// How a Service's selected pods become endpoints, shared by the endpoints controller (which writes them) and the
// service proxy (which routes to them straight from the pods, as it must where Endpoints cannot hold loopback pod IPs).
import type { V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { mapSelectorMatches } from './selectors.js';

export function podReady(pod: V1Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The pod port a Service port sends to: targetPort by number, or by the name of a container port. */
export function resolveTargetPort(port: V1ServicePort, pod: V1Pod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const found = c.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
    if (found) return found.containerPort;
  }
  return undefined;
}

/** The pods that are endpoints of the Service: selected, with an IP, not finished; sorted by name. */
export function endpointPods(svc: V1Service, pods: V1Pod[]): V1Pod[] {
  return pods.filter((p) => mapSelectorMatches(svc.spec?.selector, p.metadata?.labels)
    && p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
