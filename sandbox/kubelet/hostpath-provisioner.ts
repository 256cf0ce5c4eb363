// The node side's storage: a default StorageClass and an external provisioner for it, as a CSI driver's
// external-provisioner sidecar (sig-storage-lib-external-provisioner) behaves. A claim the PV controller hands to this
// provisioner (volume.kubernetes.io/storage-provisioner) and the scheduler placed on one of this kubelet's nodes
// (volume.kubernetes.io/selected-node) gets a directory `<dir>/volumes/pvc-<claim uid>` and a `local` PV with node
// affinity to that node, pre-bound to the claim; the PV controller (the sandbox's or kube-controller-manager's)
// binds them. A Released PV of this provisioner with reclaim policy Delete loses its directory, then its object.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { KubeConfig, V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import { controllerQueue, sandboxClient, watchCache } from '../controllers/kube-io.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';

export const PROVISIONER_NAME = 'sandbox.redwing.dev/hostpath';
export const DEFAULT_STORAGE_CLASS = 'sandbox-hostpath';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const STORAGE_PROVISIONER = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

export interface ProvisionerOptions {
  kc: KubeConfig;
  /** Sandbox directory: volumes live in `<dir>/volumes`. */
  dir: string;
  /** This kubelet's nodes: a local volume can only be made on one of them. */
  nodeNames: string[];
  logger: Logger;
}

/** The PV this provisioner makes for `claim` on `node` (pure, for tests). */
export function provisionedVolume(claim: V1PersistentVolumeClaim, storageClass: V1StorageClass, node: string, path: string): V1PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${claim.metadata?.uid}`, annotations: { [PROVISIONED_BY]: PROVISIONER_NAME } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
      storageClassName: storageClass.metadata?.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      claimRef: {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata?.namespace, name: claim.metadata?.name,
        uid: claim.metadata?.uid, resourceVersion: claim.metadata?.resourceVersion,
      },
      local: { path },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
  };
}

export class HostPathProvisioner {
  private readonly rest: KubeClient;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly classes: Informer<V1StorageClass>;
  private readonly claimQueue: WorkQueue;
  private readonly volumeQueue: WorkQueue;

  constructor(private readonly options: ProvisionerOptions) {
    const { kc, logger } = options;
    this.rest = sandboxClient(kc);
    this.claims = watchCache<V1PersistentVolumeClaim>(this.rest, '/api/v1/persistentvolumeclaims', logger);
    this.volumes = watchCache<V1PersistentVolume>(this.rest, '/api/v1/persistentvolumes', logger);
    this.classes = watchCache<V1StorageClass>(this.rest, '/apis/storage.k8s.io/v1/storageclasses', logger);
    this.claimQueue = controllerQueue('provisioner-claims', (key) => this.provision(key), logger);
    this.volumeQueue = controllerQueue('provisioner-volumes', (name) => this.reclaim(name), logger);
    const onClaim = (claim: V1PersistentVolumeClaim) => this.claimQueue.add(objectKey(claim));
    this.claims.on((event, claim) => { if (event !== 'delete') onClaim(claim); });
    const onVolume = (pv: V1PersistentVolume) => this.volumeQueue.add(pv.metadata?.name ?? '');
    this.volumes.on((event, pv) => { if (event !== 'delete') onVolume(pv); });
  }

  async start(): Promise<void> {
    mkdirSync(this.volumesDir, { recursive: true });
    await this.ensureStorageClass();
    for (const informer of [this.classes, this.volumes, this.claims]) await informer.start();
  }

  stop(): void {
    void this.claimQueue.shutdown();
    void this.volumeQueue.shutdown();
    for (const informer of [this.claims, this.volumes, this.classes]) informer.stop();
  }

  private get volumesDir(): string {
    return join(this.options.dir, 'volumes');
  }

  /** The default class, created once; an existing one (this node side started before) is left as it is. */
  private async ensureStorageClass(): Promise<void> {
    await this.rest.request('POST', '/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: PROVISIONER_NAME, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
    }).catch((error: unknown) => {
      if (!isStatus(error, 409)) throw new Error(`creating the default StorageClass ${DEFAULT_STORAGE_CLASS}`, { cause: error });
    });
  }

  private async provision(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const claim = this.claims.get(namespace, name);
    if (!claim || claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    const annotations = claim.metadata?.annotations ?? {};
    if (!STORAGE_PROVISIONER.some((k) => annotations[k] === PROVISIONER_NAME)) return;
    const storageClass = this.classes.get(undefined, claim.spec?.storageClassName ?? '');
    if (!storageClass || storageClass.provisioner !== PROVISIONER_NAME) return;
    // Immediate binding has no selected node: the first node of this kubelet takes it.
    const node = annotations[SELECTED_NODE] ?? (storageClass.volumeBindingMode === 'WaitForFirstConsumer' ? undefined : this.options.nodeNames[0]);
    if (!node || !this.options.nodeNames.includes(node)) return; // another node's provisioner, or not placed yet
    const pv = provisionedVolume(claim, storageClass, node, join(this.volumesDir, `pvc-${claim.metadata?.uid}`));
    if (this.volumes.get(undefined, pv.metadata!.name!)) return;
    mkdirSync(pv.spec!.local!.path, { recursive: true });
    try {
      await this.rest.request('POST', '/api/v1/persistentvolumes', pv);
      this.options.logger.debug({ claim: key, volume: pv.metadata?.name, node }, 'volume provisioned');
    } catch (error: unknown) {
      if (!isStatus(error, 409)) throw new Error(`provisioning a volume for claim ${key}`, { cause: error });
    }
  }

  private async reclaim(name: string): Promise<void> {
    const pv = this.volumes.get(undefined, name);
    if (!pv || pv.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER_NAME) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const node = pv.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0];
    if (!node || !this.options.nodeNames.includes(node)) return; // made by the node side of other nodes
    const path = pv.spec.local?.path ?? pv.spec.hostPath?.path;
    // Only ever delete inside this sandbox's volumes directory, whatever a PV object says.
    if (path && resolve(path).startsWith(resolve(this.volumesDir) + sep)) rmSync(path, { recursive: true, force: true });
    await this.rest.request('DELETE', `/api/v1/persistentvolumes/${name}`).catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
  }
}
