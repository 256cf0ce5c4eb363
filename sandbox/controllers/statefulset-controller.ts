// The StatefulSet controller: pods by ordinal (OrderedReady or Parallel), claims from volumeClaimTemplates,
// recreation of deleted or failed pods, scale down from the highest ordinal, RollingUpdate (with partition) and
// OnDelete, and the status with revisions.
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod, type V1PodTemplateSpec, type V1StatefulSet } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { controllerOf } from './selectors.js';
import { componentEventRecorder, controllerQueue } from './kube-io.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import {
  REVISION_LABEL, buildClaims, buildPod, computeStatus, isRunningAndReady, ordinalOf, revisionName,
} from './statefulset-pods.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class StatefulSetController {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  /** Templates by revision name, so pods below a partition are recreated from the old template. */
  private readonly templates = new Map<string, V1PodTemplateSpec>();
  /** ControllerRevisions known to exist (namespace/name). */
  private readonly recorded = new Set<string>();

  constructor(
    kc: KubeConfig,
    private readonly rest: KubeClient,
    private readonly sets: Informer<V1StatefulSet>,
    private readonly pods: Informer<V1Pod>,
    private readonly logger: Logger,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.queue = controllerQueue('statefulset', (key) => this.sync(key), logger);
    this.events = componentEventRecorder(rest, 'statefulset-controller', logger);
    const enqueueSet = (sts: V1StatefulSet) => this.queue.add(objectKey(sts));
    sets.on((event, sts) => { if (event !== 'delete') enqueueSet(sts); });
    const enqueueOwner = (pod: V1Pod) => {
      const owner = controllerOf(pod);
      if (owner?.kind === 'StatefulSet') this.queue.add(`${pod.metadata?.namespace}/${owner.name}`);
    };
    pods.on((_event, pod) => enqueueOwner(pod));
  }

  stop(): void {
    void this.queue.shutdown();
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const sts = this.sets.get(namespace, name);
    if (!sts || sts.metadata?.deletionTimestamp) return;
    const uid = sts.metadata?.uid;
    const owned = this.pods.list(inNamespace(namespace)).filter((p) => controllerOf(p)?.uid === uid);
    const updateRevision = revisionName(sts);
    this.templates.set(updateRevision, sts.spec!.template);
    const currentRevision = sts.status?.currentRevision || updateRevision;
    await this.ensureRevision(sts, updateRevision);
    try {
      await this.reconcilePods(sts, owned, currentRevision, updateRevision);
    } finally {
      await this.writeStatus(sts, this.pods.list(inNamespace(namespace)).filter((p) => controllerOf(p)?.uid === uid), currentRevision, updateRevision);
    }
  }

  private async ensureRevision(sts: V1StatefulSet, revision: string): Promise<void> {
    const key = `${sts.metadata?.namespace}/${revision}`;
    if (this.recorded.has(key)) return;
    const body = {
      apiVersion: 'apps/v1', kind: 'ControllerRevision',
      metadata: {
        name: revision, namespace: sts.metadata?.namespace,
        labels: { ...sts.spec?.selector.matchLabels, 'controller.kubernetes.io/hash': revision.slice(revision.lastIndexOf('-') + 1) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata!.name!, uid: sts.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      data: { spec: { template: { $patch: 'replace', ...sts.spec?.template } } },
      revision: sts.metadata?.generation ?? 1,
    };
    try {
      await this.rest.request('POST', `/apis/apps/v1/namespaces/${sts.metadata?.namespace}/controllerrevisions`, body);
      this.recorded.add(key);
    } catch (error: unknown) {
      // 409: exists already; 404: an API server without ControllerRevisions (the in-memory copy is enough).
      if (isStatus(error, 409, 404, 405)) this.recorded.add(key);
      else this.logger.debug({ err: error }, 'could not record ControllerRevision');
    }
  }

  private async templateFor(sts: V1StatefulSet, revision: string): Promise<V1PodTemplateSpec> {
    const known = this.templates.get(revision);
    if (known) return known;
    try {
      const cr = await this.rest.request<{ data?: { spec?: { template?: V1PodTemplateSpec & { $patch?: string } } } }>(
        'GET', `/apis/apps/v1/namespaces/${sts.metadata?.namespace}/controllerrevisions/${revision}`);
      const template = cr.data?.spec?.template;
      if (template) {
        const { $patch: _ignored, ...rest } = template;
        this.templates.set(revision, rest);
        return rest;
      }
    } catch {
      // fall through to the current template
    }
    return sts.spec!.template;
  }

  private async reconcilePods(sts: V1StatefulSet, owned: V1Pod[], currentRevision: string, updateRevision: string): Promise<void> {
    const namespace = sts.metadata!.namespace!;
    const replicas = sts.spec?.replicas ?? 1;
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const rolling = (sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0 : 0;
    const byOrdinal = new Map<number, V1Pod>();
    const condemned: V1Pod[] = [];
    for (const pod of owned) {
      const ordinal = ordinalOf(sts, pod);
      if (ordinal === undefined || ordinal >= replicas) condemned.push(pod);
      else byOrdinal.set(ordinal, pod);
    }

    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const pod = byOrdinal.get(ordinal);
      if (!pod) {
        const revision = rolling && ordinal < partition ? currentRevision : updateRevision;
        await this.createPod(sts, ordinal, await this.templateFor(sts, revision), revision);
        if (!parallel) return;
        continue;
      }
      const phase = pod.status?.phase;
      if ((phase === 'Failed' || phase === 'Succeeded') && !pod.metadata?.deletionTimestamp) {
        await this.deletePod(sts, pod, 'recreate failed pod');
        if (!parallel) return;
        continue;
      }
      if (!parallel && (pod.metadata?.deletionTimestamp || !isRunningAndReady(pod))) return;
    }

    const sorted = condemned.sort((a, b) => (ordinalOf(sts, b) ?? 1e9) - (ordinalOf(sts, a) ?? 1e9));
    const whenScaled = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain';
    for (const pod of sorted) {
      if (pod.metadata?.deletionTimestamp) {
        if (!parallel) return;
        continue;
      }
      // OrderedReady scales down only while every other pod is Running and Ready.
      if (!parallel && sorted.concat([...byOrdinal.values()]).some((p) => p !== pod && !isRunningAndReady(p))) return;
      if (whenScaled === 'Delete') await this.handClaimsToPod(sts, pod);
      await this.deletePod(sts, pod, 'scale down');
      if (!parallel) return;
    }
    if (sorted.length > 0) return;

    if (!rolling) return;
    for (let ordinal = replicas - 1; ordinal >= partition; ordinal--) {
      const pod = byOrdinal.get(ordinal);
      if (!pod || pod.metadata?.deletionTimestamp) return;
      if (pod.metadata?.labels?.[REVISION_LABEL] !== updateRevision) {
        // One pod at a time, and only while every other pod is healthy.
        const allHealthy = [...byOrdinal.values()].every((p) => p === pod || isRunningAndReady(p));
        if (allHealthy) await this.deletePod(sts, pod, 'rolling update');
        return;
      }
      if (!isRunningAndReady(pod)) return;
    }
  }

  /** whenScaled: Delete: the claims get the condemned pod as owner, so the garbage collector removes them after it. */
  private async handClaimsToPod(sts: V1StatefulSet, pod: V1Pod): Promise<void> {
    for (const claim of buildClaims(sts, pod.metadata!.name!)) {
      const ownerReferences = [...(claim.metadata?.ownerReferences ?? []),
        { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid!, controller: false, blockOwnerDeletion: true }];
      await this.rest.request('PATCH', `/api/v1/namespaces/${sts.metadata?.namespace}/persistentvolumeclaims/${claim.metadata?.name}`,
        { metadata: { ownerReferences } }, 'application/merge-patch+json')
        .catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
    }
  }

  private async createPod(sts: V1StatefulSet, ordinal: number, template: V1PodTemplateSpec, revision: string): Promise<void> {
    const namespace = sts.metadata!.namespace!;
    const pod = buildPod(sts, ordinal, template, revision);
    const claims = buildClaims(sts, pod.metadata!.name!);
    for (const claim of claims) {
      try {
        await this.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim });
        void this.events.record({ ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' }, { type: 'Normal', reason: 'SuccessfulCreate', message:
          `create Claim ${claim.metadata?.name} Pod ${pod.metadata?.name} in StatefulSet ${sts.metadata?.name} success` });
      } catch (error: unknown) {
        if (!isStatus(error, 409)) throw new Error(`creating claim ${claim.metadata?.name}`, { cause: error });
      }
    }
    try {
      await this.core.createNamespacedPod({ namespace, body: pod });
      void this.events.record({ ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' }, { type: 'Normal', reason: 'SuccessfulCreate', message:
        `create Pod ${pod.metadata?.name} in StatefulSet ${sts.metadata?.name} successful` });
    } catch (error: unknown) {
      if (!isStatus(error, 409)) throw new Error(`creating pod ${pod.metadata?.name}`, { cause: error });
    }
  }

  private async deletePod(sts: V1StatefulSet, pod: V1Pod, why: string): Promise<void> {
    this.logger.debug({ pod: pod.metadata?.name, why }, 'statefulset deleting pod');
    try {
      await this.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: { preconditions: { uid: pod.metadata?.uid } } });
      void this.events.record({ ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' }, { type: 'Normal', reason: 'SuccessfulDelete', message:
        `delete Pod ${pod.metadata?.name} in StatefulSet ${sts.metadata?.name} successful` });
    } catch (error: unknown) {
      if (!isStatus(error, 404, 409)) throw error;
    }
  }

  private async writeStatus(sts: V1StatefulSet, pods: V1Pod[], currentRevision: string, updateRevision: string): Promise<void> {
    const status = computeStatus(sts, pods, currentRevision, updateRevision);
    const old = (sts.status ?? {}) as Record<string, unknown>;
    if (Object.entries(status).every(([k, v]) => (old[k] ?? 0) === (v ?? 0))) return;
    try {
      await this.apps.patchNamespacedStatefulSetStatus({ name: sts.metadata!.name!, namespace: sts.metadata!.namespace!, body: { status } }, mergePatch);
    } catch (error: unknown) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
