/** Points the health monitor at a store's current master and the replicas that can vouch for it. */
import type { EngineTls, HealthMonitor, MonitorTarget } from '../replication/index.js';
import { podEndpoint } from './engine-access.js';
import type { ObservedPod } from './observed.js';

export interface MasterWatchRequest {
  key: string;
  storeName: string;
  namespace: string;
  pods: ObservedPod[];
  master: string;
  password?: string;
  tls?: Omit<EngineTls, 'servername'>;
  downAfterMilliseconds: number;
}

function target(request: MasterWatchRequest, pod: ObservedPod): MonitorTarget {
  return {
    pod: pod.name,
    endpoint: podEndpoint(request.storeName, request.namespace, pod, request.password, request.tls),
    aliases: [pod.ip!, `${pod.name}.${request.storeName}-headless.${request.namespace}.svc`],
  };
}

export function watchStoreMaster(monitor: HealthMonitor, request: MasterWatchRequest): void {
  const master = request.pods.find((pod) => pod.name === request.master);
  if (!master?.ip || master.terminating) return;
  const replicas = request.pods.filter((pod) => pod.name !== master.name && pod.ip && !pod.terminating).map((pod) => target(request, pod));
  monitor.watch({ key: request.key, master: target(request, master), replicas, downAfterMilliseconds: request.downAfterMilliseconds });
}
