// The sandbox's kube-scheduler: a separate client of the API server that binds each unscheduled pod (schedulerName
// default-scheduler) to a feasible Node through pods/binding. It filters nodes (node-fit.ts), plans volumes like
// the VolumeBinding plugin (volume-binding.ts), and spreads siblings (spread.ts). An unschedulable pod gets the
// PodScheduled=False condition and a FailedScheduling Event, and is retried when nodes, claims or volumes change.
import type { KubeConfig, V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { componentEventRecorder, controllerQueue, watchCache } from '../controllers/kube-io.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import { sandboxClient } from '../controllers/kube-io.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import { feasibleNodes, unschedulableMessage } from './node-fit.js';
import { pickSpreadNode } from './spread.js';
import { planVolumes, SELECTED_NODE_ANNOTATION } from './volume-binding.js';

export interface SchedulerOptions {
  kc: KubeConfig;
  logger: Logger;
  /** Bind nothing: pods stay Pending (benchmarks with hundreds of stores). */
  holdPodsPending?: boolean;
}

const SCHEDULER_NAME = 'default-scheduler';
/** Unschedulable pods are retried this often even without a relevant change (kube-scheduler: 5 min; shorter here). */
const UNSCHEDULABLE_RETRY_MS = 5_000;
const VOLUME_AFFINITY_CONFLICT = 'node(s) had volume node affinity conflict';

export class Scheduler {
  private readonly rest: KubeClient;
  private readonly pods: Informer<V1Pod>;
  private readonly nodes: Informer<V1Node>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly classes: Informer<V1StorageClass>;
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  /**
   * The scheduler cache's "assumed" pods (uid -> node): bound but maybe not yet seen through the watch, or waiting for
   * their volumes on a chosen node. Spreading counts them, so pods scheduled together do not all pick one node.
   */
  private readonly assumed = new Map<string, { node: string; bound: boolean }>();
  /** The last FailedScheduling message per pod uid, so a pod that stays unschedulable is not re-reported each retry. */
  private readonly reported = new Map<string, string>();
  private nextNode = 0;
  /** One pending retry timer per pod, so repeated triggers do not pile up retry chains. */
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: SchedulerOptions) {
    const { kc, logger } = options;
    this.rest = sandboxClient(kc);
    this.pods = watchCache<V1Pod>(this.rest, '/api/v1/pods', logger);
    this.nodes = watchCache<V1Node>(this.rest, '/api/v1/nodes', logger);
    this.claims = watchCache<V1PersistentVolumeClaim>(this.rest, '/api/v1/persistentvolumeclaims', logger);
    this.volumes = watchCache<V1PersistentVolume>(this.rest, '/api/v1/persistentvolumes', logger);
    this.classes = watchCache<V1StorageClass>(this.rest, '/apis/storage.k8s.io/v1/storageclasses', logger);
    this.queue = controllerQueue('scheduler', (key) => this.schedule(key), logger);
    this.events = componentEventRecorder(this.rest, SCHEDULER_NAME, logger);
    this.pods.on((event, pod) => (event === 'delete' ? this.forget(pod) : this.onPod(pod)));
    const retryPending = () => this.requeuePending();
    this.nodes.on((event) => { if (event !== 'delete') retryPending(); });
    this.classes.on((event) => { if (event === 'add') retryPending(); });
    this.volumes.on((event) => { if (event !== 'delete') retryPending(); });
    const onClaim = (claim: V1PersistentVolumeClaim) => {
      for (const pod of this.pods.list(inNamespace(claim.metadata?.namespace))) {
        if (!pod.spec?.nodeName && pod.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === claim.metadata?.name)) this.queue.add(objectKey(pod));
      }
    };
    this.claims.on((event, claim) => { if (event !== 'delete') onClaim(claim); });
  }

  async start(): Promise<void> {
    // Everything the decision reads is cached before the first pod is looked at.
    for (const informer of [this.nodes, this.classes, this.volumes, this.claims]) await informer.start();
    await this.pods.start();
  }

  stop(): void {
    void this.queue.shutdown();
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    for (const informer of [this.pods, this.nodes, this.claims, this.volumes, this.classes]) informer.stop();
  }

  private onPod(pod: V1Pod): void {
    if (pod.spec?.nodeName) this.forget(pod);
    else this.queue.add(objectKey(pod));
  }

  private forget(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.assumed.delete(uid);
    this.reported.delete(uid);
  }

  private requeuePending(): void {
    for (const pod of this.pods.list()) if (!pod.spec?.nodeName) this.queue.add(objectKey(pod));
  }

  private async schedule(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.pods.get(namespace, name);
    if (!pod || pod.spec?.nodeName || pod.metadata?.deletionTimestamp || this.options.holdPodsPending) return;
    if ((pod.spec?.schedulerName ?? SCHEDULER_NAME) !== SCHEDULER_NAME) return;
    const uid = pod.metadata?.uid ?? '';
    if (this.assumed.get(uid)?.bound) return;
    const allNodes = this.nodes.list();
    const { feasible, reasons } = feasibleNodes(pod, allNodes);
    const plan = planVolumes(pod, {
      claim: (ns, claimName) => this.claims.get(ns, claimName),
      storageClass: (className) => this.classes.get(undefined, className),
      volume: (volumeName) => this.volumes.get(undefined, volumeName),
    });
    if (plan.kind === 'unschedulable') return this.unschedulable(pod, `0/${allNodes.length} nodes are available: ${plan.message}.`);
    const candidates = feasible.filter((node) => {
      if (plan.fits(node)) return true;
      reasons.set(VOLUME_AFFINITY_CONFLICT, (reasons.get(VOLUME_AFFINITY_CONFLICT) ?? 0) + 1);
      return false;
    }).map((node) => node.metadata!.name!);
    if (candidates.length === 0) return this.unschedulable(pod, unschedulableMessage(allNodes.length, reasons));
    // A node already chosen for this pod's claims stays chosen while it remains feasible: provisioning is under way.
    const earlier = [this.assumed.get(uid)?.node, ...plan.delayed.map((c) => c.metadata?.annotations?.[SELECTED_NODE_ANNOTATION])];
    const chosen = earlier.find((n) => n && candidates.includes(n))
      ?? pickSpreadNode(pod, candidates, this.pods.list(), (other) => other.spec?.nodeName ?? this.assumed.get(other.metadata?.uid ?? '')?.node, this.nextNode++)!;
    if (plan.delayed.length > 0 || plan.settling) {
      this.assumed.set(uid, { node: chosen, bound: false });
      for (const claim of plan.delayed) {
        if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === chosen) continue;
        await this.rest.request('PATCH', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim.metadata?.name}`,
          { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: chosen } } }, 'application/merge-patch+json');
      }
      // The claims' updates (bound by the PV controller) bring the pod back; the timer covers a missed one.
      this.retryLater(key);
      return;
    }
    await this.bind(pod, chosen);
  }

  private retryLater(key: string): void {
    if (this.retries.has(key)) return;
    const timer = setTimeout(() => {
      this.retries.delete(key);
      this.queue.add(key);
    }, UNSCHEDULABLE_RETRY_MS);
    timer.unref();
    this.retries.set(key, timer);
  }

  private async bind(pod: V1Pod, node: string): Promise<void> {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    try {
      await this.rest.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (error: unknown) {
      if (isStatus(error, 409, 404)) return; // bound by someone else, or gone
      throw new Error(`binding pod ${namespace}/${name} to ${node}`, { cause: error });
    }
    this.assumed.set(pod.metadata!.uid!, { node, bound: true });
    void this.events.record({ ...pod, apiVersion: 'v1', kind: 'Pod' }, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${namespace}/${name} to ${node}` });
  }

  private async unschedulable(pod: V1Pod, message: string): Promise<void> {
    const key = objectKey(pod);
    this.retryLater(key);
    const uid = pod.metadata?.uid ?? '';
    this.assumed.delete(uid);
    if (this.reported.get(uid) === message) return;
    this.reported.set(uid, message);
    void this.events.record({ ...pod, apiVersion: 'v1', kind: 'Pod' }, { type: 'Warning', reason: 'FailedScheduling', message });
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: rfc3339(), lastProbeTime: null };
    const others = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    await this.rest.request('PATCH', `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`,
      { metadata: { uid }, status: { conditions: [...others, condition] } }, 'application/merge-patch+json')
      .catch((error: unknown) => { if (!isStatus(error, 404, 409)) throw error; });
  }
}
