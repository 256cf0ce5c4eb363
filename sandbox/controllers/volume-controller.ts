// kube-controller-manager's PersistentVolume controller (pkg/controller/volume/persistentvolume), reduced to dynamic
// provisioning by an external provisioner, and its pvc-protection controller:
// - a claim without a class gets the default one (RetroactiveDefaultStorageClass);
// - an unbound claim of a WaitForFirstConsumer class waits for the scheduler's volume.kubernetes.io/selected-node;
//   then (or at once for an Immediate class) it is annotated volume.kubernetes.io/storage-provisioner (and the beta
//   key) with its class's provisioner, which creates a PV pre-bound to it (claimRef with the claim's uid);
// - a PV pre-bound to a claim is bound: the claim gets spec.volumeName and the bind-completed / bound-by-controller
//   annotations, then both statuses become Bound (the claim's with the PV's capacity and access modes);
// - a PV whose claim is gone becomes Released; reclaiming it is the provisioner's job (reclaim policy Delete).
// Static binding to pre-existing unclaimed PVs is not modelled. The `kubernetes.io/pvc-protection` finalizer is
// removed once no pod uses the claim.
import { controllerQueue } from './kube-io.js';
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { defaultStorageClassName } from '../apiserver/default-storage-class.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';

const PROTECTION = 'kubernetes.io/pvc-protection';
export const STORAGE_PROVISIONER_ANNOTATIONS = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const MERGE = 'application/merge-patch+json';

export interface VolumeInformers {
  claims: Informer<V1PersistentVolumeClaim>;
  pods: Informer<V1Pod>;
  volumes: Informer<V1PersistentVolume>;
  classes: Informer<V1StorageClass>;
}

export class VolumeController {
  private readonly claimQueue: WorkQueue;
  private readonly volumeQueue: WorkQueue;
  /** Claims already told they wait (WaitForFirstConsumer / ExternalProvisioning), so each Event is recorded once. */
  private readonly announced = new Map<string, string>();

  constructor(
    private readonly rest: KubeClient,
    private readonly informers: VolumeInformers,
    private readonly events: EventRecorder,
    private readonly logger: Logger,
  ) {
    this.claimQueue = controllerQueue('claims', (key) => this.syncClaim(key), logger);
    this.volumeQueue = controllerQueue('volumes', (name) => this.syncVolume(name), logger);
    const enqueueClaim = (pvc: V1PersistentVolumeClaim) => this.claimQueue.add(objectKey(pvc));
    informers.claims.on((event, pvc) => {
      if (event !== 'delete') {
        enqueueClaim(pvc);
        return;
      }
      this.announced.delete(pvc.metadata?.uid ?? '');
      // Its volume is now Released.
      if (pvc.spec?.volumeName) this.volumeQueue.add(pvc.spec.volumeName);
    });
    const onVolume = (pv: V1PersistentVolume) => {
      this.volumeQueue.add(pv.metadata?.name ?? '');
      const ref = pv.spec?.claimRef;
      if (ref?.namespace && ref.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
    };
    informers.volumes.on((event, pv) => { if (event !== 'delete') onVolume(pv); });
    informers.classes.on((event) => {
      if (event === 'add') for (const pvc of informers.claims.list()) if (!pvc.spec?.volumeName) enqueueClaim(pvc);
    });
    const onPod = (pod: V1Pod) => {
      for (const v of pod.spec?.volumes ?? []) {
        if (v.persistentVolumeClaim) this.claimQueue.add(`${pod.metadata?.namespace}/${v.persistentVolumeClaim.claimName}`);
      }
    };
    informers.pods.on((event, pod) => { if (event !== 'add') onPod(pod); });
  }

  stop(): void {
    void this.claimQueue.shutdown();
    void this.volumeQueue.shutdown();
  }

  private inUse(pvc: V1PersistentVolumeClaim): boolean {
    return this.informers.pods.list(inNamespace(pvc.metadata?.namespace)).some((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed'
      && (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name));
  }

  private announce(pvc: V1PersistentVolumeClaim, reason: string, message: string): void {
    const uid = pvc.metadata?.uid ?? '';
    if (this.announced.get(uid) === reason) return;
    this.announced.set(uid, reason);
    void this.events.record({ ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, { type: 'Normal', reason, message });
  }

  private async patch(path: string, body: object): Promise<void> {
    await this.rest.request('PATCH', path, body, MERGE).catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
  }

  private async syncClaim(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pvc = this.informers.claims.get(namespace, name);
    if (!pvc) return;
    const path = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`;
    if (pvc.metadata?.deletionTimestamp) {
      const finalizers = pvc.metadata.finalizers ?? [];
      if (!finalizers.includes(PROTECTION) || this.inUse(pvc)) return;
      await this.patch(path, { metadata: { finalizers: finalizers.filter((f) => f !== PROTECTION), resourceVersion: pvc.metadata.resourceVersion } });
      return;
    }
    if (pvc.spec?.volumeName) return this.completeClaimBinding(pvc, path);
    if (pvc.spec?.storageClassName === undefined || pvc.spec.storageClassName === null) {
      const defaultClass = defaultStorageClassName(this.informers.classes.list());
      if (defaultClass) await this.patch(path, { spec: { storageClassName: defaultClass } });
      return;
    }
    const prebound = this.informers.volumes.list().find((pv) => pv.spec?.claimRef?.uid === pvc.metadata?.uid);
    if (prebound) {
      await this.patch(path, {
        metadata: { annotations: { [BIND_COMPLETED]: 'yes', [BOUND_BY_CONTROLLER]: 'yes' }, resourceVersion: pvc.metadata?.resourceVersion },
        spec: { volumeName: prebound.metadata?.name },
      });
      return;
    }
    const storageClass = this.informers.classes.get(undefined, pvc.spec.storageClassName);
    if (!storageClass) return;
    if (storageClass.volumeBindingMode === 'WaitForFirstConsumer' && !pvc.metadata?.annotations?.[SELECTED_NODE]) {
      this.announce(pvc, 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const provisioner = storageClass.provisioner;
    if (STORAGE_PROVISIONER_ANNOTATIONS.some((k) => pvc.metadata?.annotations?.[k] !== provisioner)) {
      await this.patch(path, { metadata: { annotations: Object.fromEntries(STORAGE_PROVISIONER_ANNOTATIONS.map((k) => [k, provisioner])) } });
    }
    this.announce(pvc, 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  /** The claim names its volume: once that volume is bound to this claim, both statuses say Bound. */
  private async completeClaimBinding(pvc: V1PersistentVolumeClaim, path: string): Promise<void> {
    const pv = this.informers.volumes.get(undefined, pvc.spec!.volumeName!);
    if (!pv || pv.spec?.claimRef?.uid !== pvc.metadata?.uid) return;
    if (pv.status?.phase !== 'Bound') await this.patch(`/api/v1/persistentvolumes/${pv.metadata?.name}/status`, { status: { phase: 'Bound' } });
    if (pvc.status?.phase === 'Bound') return;
    await this.patch(`${path}/status`, { status: { phase: 'Bound', accessModes: pv.spec?.accessModes ?? pvc.spec?.accessModes, capacity: pv.spec?.capacity } });
    this.logger.debug({ claim: objectKey(pvc), volume: pv.metadata?.name }, 'claim bound');
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.informers.volumes.get(undefined, name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    const statusPath = `/api/v1/persistentvolumes/${name}/status`;
    if (!ref?.name) {
      if (pv.status?.phase !== 'Available') await this.patch(statusPath, { status: { phase: 'Available' } });
      return;
    }
    const claim = this.informers.claims.get(ref.namespace, ref.name);
    if (claim && (!ref.uid || claim.metadata?.uid === ref.uid)) return; // bound or being bound: syncClaim's work
    // The claim is gone (or replaced by another of the same name): the volume is released for its reclaim policy.
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed' && (pv.status?.phase === 'Bound' || claim || ref.uid)) {
      await this.patch(statusPath, { status: { phase: 'Released' } });
    }
  }
}
