// The Deployment controller: keeps spec.replicas pods of the current template, rolls a new template out with
// RollingUpdate (maxSurge / maxUnavailable) or Recreate, replaces finished pods, and writes the status that
// `kubectl rollout status` reads. The plan is pure (deployment-rollout.ts); this file is its I/O.
import { randomBytes } from 'node:crypto';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { controllerOf } from './selectors.js';
import { componentEventRecorder, controllerQueue } from './kube-io.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import { POD_TEMPLATE_HASH_LABEL, computeDeploymentStatus, isActive, planRollout, templateHash } from './deployment-rollout.js';

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  return [...randomBytes(5)].map((byte) => NAME_ALPHABET[byte % NAME_ALPHABET.length]).join('');
}

/** A pod of the Deployment's current template, named `<deployment>-<hash>-<random>` as a ReplicaSet's pods are. */
export function buildDeploymentPod(deployment: V1Deployment, hash: string): V1Pod {
  const template = deployment.spec?.template;
  const name = deployment.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${hash}-${randomSuffix()}`,
      namespace: deployment.metadata?.namespace,
      labels: { ...template?.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}

export class DeploymentController {
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;

  constructor(
    private readonly rest: KubeClient,
    private readonly deployments: Informer<V1Deployment>,
    private readonly pods: Informer<V1Pod>,
    private readonly logger: Logger,
  ) {
    this.queue = controllerQueue('deployment', (key) => this.sync(key), logger);
    this.events = componentEventRecorder(rest, 'deployment-controller', logger);
    deployments.on((event, deployment) => { if (event !== 'delete') this.queue.add(objectKey(deployment)); });
    pods.on((_event, pod) => {
      const owner = controllerOf(pod);
      if (owner?.kind === 'Deployment') this.queue.add(`${pod.metadata?.namespace}/${owner.name}`);
    });
  }

  stop(): void {
    void this.queue.shutdown();
  }

  private owned(deployment: V1Deployment): V1Pod[] {
    const uid = deployment.metadata?.uid;
    return this.pods.list(inNamespace(deployment.metadata!.namespace!)).filter((pod) => controllerOf(pod)?.uid === uid);
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const deployment = this.deployments.get(namespace, name);
    if (!deployment || deployment.metadata?.deletionTimestamp) return;
    try {
      if (!deployment.spec?.paused) await this.reconcilePods(deployment);
    } finally {
      await this.writeStatus(deployment);
    }
  }

  private async reconcilePods(deployment: V1Deployment): Promise<void> {
    const pods = this.owned(deployment);
    // A ReplicaSet deletes finished pods and makes new ones (restartPolicy Always rarely lets a pod finish).
    for (const pod of pods.filter((p) => !isActive(p) && !p.metadata?.deletionTimestamp)) await this.deletePod(deployment, pod);
    const step = planRollout(deployment, pods);
    for (const pod of step.remove) await this.deletePod(deployment, pod);
    const hash = templateHash(deployment);
    for (let i = 0; i < step.create; i++) await this.createPod(deployment, hash);
  }

  private async createPod(deployment: V1Deployment, hash: string): Promise<void> {
    const pod = buildDeploymentPod(deployment, hash);
    try {
      await this.rest.request('POST', `/api/v1/namespaces/${deployment.metadata?.namespace}/pods`, pod);
      void this.events.record({ ...deployment, apiVersion: 'apps/v1', kind: 'Deployment' }, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata?.name}` });
    } catch (error: unknown) {
      void this.events.record({ ...deployment, apiVersion: 'apps/v1', kind: 'Deployment' }, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${String((error as Error).message)}` });
      throw new Error(`creating a pod of deployment ${deployment.metadata?.name}`, { cause: error });
    }
  }

  private async deletePod(deployment: V1Deployment, pod: V1Pod): Promise<void> {
    this.logger.debug({ deployment: deployment.metadata?.name, pod: pod.metadata?.name }, 'deployment deleting pod');
    try {
      await this.rest.request('DELETE', `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}`, { preconditions: { uid: pod.metadata?.uid } });
      void this.events.record({ ...deployment, apiVersion: 'apps/v1', kind: 'Deployment' }, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata?.name}` });
    } catch (error: unknown) {
      if (!isStatus(error, 404, 409)) throw error;
    }
  }

  private async writeStatus(deployment: V1Deployment): Promise<void> {
    const status = computeDeploymentStatus(deployment, this.owned(deployment), new Date());
    const old = deployment.status;
    const same = old && (['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const)
      .every((field) => (old[field] ?? 0) === status[field])
      && (status.conditions ?? []).every((c) => old.conditions?.some((o) => o.type === c.type && o.status === c.status && o.reason === c.reason));
    if (same) return;
    try {
      await this.rest.request('PATCH', `/apis/apps/v1/namespaces/${deployment.metadata?.namespace}/deployments/${deployment.metadata?.name}/status`,
        { status }, 'application/merge-patch+json');
    } catch (error: unknown) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
