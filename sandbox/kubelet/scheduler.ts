// The sandbox's whole scheduler: binds each unscheduled pod to a ready node through pods/binding.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { selectorMatches, type EventRecorder } from '../controllers/client/helpers.js';
import type { Informer } from '../controllers/client/informer.js';
import { isStatus } from '../controllers/client/rest.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class Scheduler {
  private nextNode = 0;
  /** Bindings made but maybe not yet seen through the watch (pod uid -> node), for spreading. */
  private readonly recentBindings = new Map<string, string>();

  constructor(private readonly core: CoreV1Api, private readonly pods: Informer<V1Pod>, private readonly events: EventRecorder) {}

  /** The watch has shown the pod bound (or gone): the local note is no longer needed. */
  forget(uid: string | undefined): void {
    if (uid) this.recentBindings.delete(uid);
  }

  /**
   * Round-robin, but spreading "siblings" apart: pods with the same controller, or matched by one of the pod's
   * anti-affinity label selectors. A soft rule: with more siblings than nodes, some share a node rather than wait.
   */
  private pickNode(pod: V1Pod, nodes: string[]): string {
    const owner = pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
    const terms = [
      ...(pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
    ];
    const sibling = (other: V1Pod) => {
      if (other.metadata?.uid === pod.metadata?.uid || other.metadata?.namespace !== pod.metadata?.namespace) return false;
      if (owner && other.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner)) return true;
      return terms.some((term) => selectorMatches(term.labelSelector, other.metadata?.labels));
    };
    const load = new Map(nodes.map((n) => [n, 0]));
    for (const other of this.pods.list()) {
      const on = other.spec?.nodeName ?? this.recentBindings.get(other.metadata?.uid ?? '');
      if (on && load.has(on) && !other.metadata?.deletionTimestamp && sibling(other)) load.set(on, load.get(on)! + 1);
    }
    const start = this.nextNode++;
    let best = nodes[start % nodes.length]!;
    for (let i = 0; i < nodes.length; i++) {
      const candidate = nodes[(start + i) % nodes.length]!;
      if (load.get(candidate)! < load.get(best)!) best = candidate;
    }
    return best;
  }

  /** Binds the pod to one of `ready` (node names); no-op without a ready node. */
  async bind(pod: V1Pod, ready: string[]): Promise<void> {
    if (ready.length === 0) return;
    const node = this.pickNode(pod, ready);
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    try {
      await this.core.createNamespacedPodBinding({
        name, namespace,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    } catch (error: unknown) {
      if (isStatus(error, 409)) return; // already bound by someone else
      if (!isStatus(error, 404, 405)) throw error;
      // An API server without the binding subresource: set spec.nodeName directly.
      await this.core.patchNamespacedPod({ name, namespace, body: { spec: { nodeName: node } } }, mergePatch);
    }
    this.recentBindings.set(pod.metadata!.uid!, node);
    this.events.record({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
  }
}
