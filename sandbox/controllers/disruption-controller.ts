// The disruption controller: keeps every PodDisruptionBudget's status current from the pods its selector matches, as
// kube-controller-manager's does, so pods/eviction in the API server can decide. Pod and budget events requeue the
// affected budgets at once; an eviction's disruptedPods entry is looked at again when it times out.
import type { V1Pod, V1PodDisruptionBudget, V1StatefulSet } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { componentEventRecorder, controllerQueue } from './kube-io.js';
import { selectorMatches } from './selectors.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import {
  countHealthy, DISRUPTED_POD_TIMEOUT_MS, expectedPodCount, failSafeStatus, nextBudgetStatus, pendingDisruptions, type ScaleLookup,
} from './disruption-budget.js';
import { errorMessage } from '../../shared/error-message.js';

export interface DisruptionControllerOptions {
  /** DeletionTimeout: how long an evicted pod that is not deleted stays out of currentHealthy (2 minutes). */
  disruptedPodTimeoutMs?: number;
}

export class DisruptionController {
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  private readonly timeoutMs: number;

  constructor(
    private readonly rest: KubeClient,
    private readonly budgets: Informer<V1PodDisruptionBudget>,
    private readonly pods: Informer<V1Pod>,
    private readonly sets: Informer<V1StatefulSet>,
    private readonly logger: Logger,
    options: DisruptionControllerOptions = {},
  ) {
    this.timeoutMs = options.disruptedPodTimeoutMs ?? DISRUPTED_POD_TIMEOUT_MS;
    this.events = componentEventRecorder(rest, 'controllermanager', logger);
    this.queue = controllerQueue('disruption', (key) => this.sync(key), logger);
    const onBudget = (pdb: V1PodDisruptionBudget) => this.queue.add(objectKey(pdb));
    budgets.on((event, pdb) => { if (event !== 'delete') onBudget(pdb); });
    const onPod = (pod: V1Pod, old?: V1Pod) => {
      this.enqueueMatching(pod);
      if (old) this.enqueueMatching(old);
    };
    pods.on((_event, pod, old) => onPod(pod, old));
    // a StatefulSet's replicas are the expected count of percentage and maxUnavailable budgets
    const onSet = (set: V1StatefulSet) => { for (const pdb of budgets.list(inNamespace(set.metadata?.namespace))) this.queue.add(objectKey(pdb)); };
    sets.on((_event, set) => onSet(set));
  }

  stop(): void {
    void this.queue.shutdown();
  }

  private enqueueMatching(pod: V1Pod): void {
    for (const pdb of this.budgets.list(inNamespace(pod.metadata?.namespace))) {
      if (selectorMatches(pdb.spec?.selector, pod.metadata?.labels)) this.queue.add(objectKey(pdb));
    }
  }

  /** The StatefulSet finder (the sandbox runs no ReplicaSets or ReplicationControllers). */
  private readonly lookupScale: ScaleLookup = (namespace, ref) => {
    if (ref.kind !== 'StatefulSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const set = this.sets.get(namespace, ref.name);
    if (!set || set.metadata?.uid !== ref.uid) return undefined;
    return { uid: ref.uid, replicas: set.spec?.replicas ?? 1 };
  };

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pdb = this.budgets.get(namespace, name);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    if (!this.pods.hasSynced || !this.sets.hasSynced) {
      // a budget computed from a half-filled pod cache would claim too few healthy pods
      this.queue.addAfter(key, 100);
      return;
    }
    try {
      await this.trySync(pdb);
    } catch (error: unknown) {
      if (isStatus(error, 409, 404)) throw error;
      // Expected while a StatefulSet is deleted before its pods (the budget's pods have no controller for a while):
      // the Event and the fail-safe status say so; a warning per retry would only be noise.
      this.logger.debug({ err: error, pdb: key }, 'failed to sync PDB');
      void this.events.record({ ...pdb, apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' }, { type: 'Warning', reason: 'CalculateExpectedPodCountFailed', message: `Failed to calculate the number of expected pods: ${errorMessage(error)}` });
      await this.writeStatus(pdb, failSafeStatus(pdb, error));
    }
  }

  private async trySync(pdb: V1PodDisruptionBudget): Promise<void> {
    const namespace = pdb.metadata?.namespace ?? '';
    const pods = this.pods.list(inNamespace(namespace)).filter((pod) => selectorMatches(pdb.spec?.selector, pod.metadata?.labels));
    const counts = expectedPodCount(pdb, pods, this.lookupScale);
    const nowMs = Date.now();
    const { disrupted, recheckAtMs } = pendingDisruptions(pdb, pods, nowMs, this.timeoutMs);
    const status = nextBudgetStatus(pdb, counts, countHealthy(pods, disrupted), disrupted);
    if (status) await this.writeStatus(pdb, status);
    if (recheckAtMs !== undefined) this.queue.addAfter(objectKey(pdb), Math.max(0, recheckAtMs - nowMs) + 10);
  }

  private async writeStatus(pdb: V1PodDisruptionBudget, status: object): Promise<void> {
    const { namespace, name } = pdb.metadata ?? {};
    await this.rest.request('PUT', `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}/status`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: pdb.metadata, spec: pdb.spec, status,
    });
  }
}
