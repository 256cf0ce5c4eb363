// Fault injection for tests: crash, freeze/thaw, node loss, eviction. These act on the kubelet's processes and
// through the API server, so the rest of the cluster sees each fault as it would see the real one.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Kubelet } from '../kubelet/kubelet.js';
import { isStatus } from '../../kube/errors.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export interface Faults {
  /** SIGKILL every container process of the pod; the kubelet restarts them per restartPolicy. */
  crashPod(namespace: string, name: string): Promise<void>;
  /** The pids of the pod's running container processes (they change when the kubelet restarts a container). */
  podPids(namespace: string, name: string): number[];
  /** SIGSTOP: the port stays open but nothing answers. */
  freezePod(namespace: string, name: string): Promise<void>;
  thawPod(namespace: string, name: string): Promise<void>;
  /** The next start of the pod's containers (after a crash) is frozen at once: a restart that answers nobody until thawPod. */
  freezePodOnNextStart(namespace: string, name: string): Promise<void>;
  /** Loses the node running the pod: its processes freeze, the Node turns NotReady, its pods' Ready Unknown. Returns the node name. */
  loseNodeOf(namespace: string, name: string): Promise<string>;
  loseNode(nodeName: string): Promise<void>;
  restoreNode(nodeName: string): Promise<void>;
  /** Eviction through the API (pods/eviction), or a delete with a DisruptionTarget condition where that is not served. */
  evictPod(namespace: string, name: string): Promise<void>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const EVICTION_RETRY_BUDGET_MS = 60_000;
const EVICTION_RETRY_INTERVAL_MS = 250;

export function createFaults(kubelet: Kubelet, kc: KubeConfig): Faults {
  const core = kc.makeApiClient(CoreV1Api);
  const processesOf = (namespace: string, name: string) => {
    const procs = kubelet.podProcesses(namespace, name);
    if (procs.length === 0) throw new Error(`pod ${namespace}/${name} has no running process on this sandbox's kubelet`);
    return procs;
  };
  return {
    async crashPod(namespace, name) {
      for (const proc of processesOf(namespace, name)) process.kill(proc.pid, 'SIGKILL');
    },
    podPids: (namespace, name) => kubelet.podProcesses(namespace, name).map((proc) => proc.pid),
    async freezePod(namespace, name) {
      for (const proc of processesOf(namespace, name)) proc.signal('SIGSTOP');
    },
    async thawPod(namespace, name) {
      for (const proc of processesOf(namespace, name)) proc.signal('SIGCONT');
    },
    async freezePodOnNextStart(namespace, name) {
      kubelet.freezeNextStart(namespace, name);
    },
    async loseNodeOf(namespace, name) {
      const node = kubelet.nodeOf(namespace, name);
      if (!node) throw new Error(`pod ${namespace}/${name} is not bound to a node`);
      await kubelet.loseNode(node);
      return node;
    },
    loseNode: (nodeName) => kubelet.loseNode(nodeName),
    restoreNode: (nodeName) => kubelet.restoreNode(nodeName),
    async evictPod(namespace, name) {
      // Like `kubectl drain`: a 429 means a PodDisruptionBudget (or one its controller has not processed yet) refuses
      // the disruption for now, so try again until it allows it. The API server marks the pod with DisruptionTarget
      // itself, and only when the eviction is granted.
      const deadline = Date.now() + EVICTION_RETRY_BUDGET_MS;
      for (;;) {
        try {
          await core.createNamespacedPodEviction({
            name, namespace,
            body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
          });
          return;
        } catch (error: unknown) {
          if (isStatus(error, 404, 405)) break;
          if (!isStatus(error, 429) || Date.now() > deadline) throw new Error(`evicting pod ${namespace}/${name} failed`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, EVICTION_RETRY_INTERVAL_MS));
      }
      // An API server without pods/eviction: mark the pod as kube-apiserver would, then delete it.
      const now = rfc3339();
      const pod = await core.readNamespacedPod({ name, namespace });
      const conditions = [
        ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
        { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: now },
      ];
      await core.patchNamespacedPodStatus({ name, namespace, body: { metadata: { uid: pod.metadata?.uid }, status: { conditions } } }, mergePatch);
      await core.deleteNamespacedPod({ name, namespace });
    },
  };
}
