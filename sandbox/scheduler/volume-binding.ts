// kube-scheduler's VolumeBinding plugin, reduced to what dynamic provisioning needs. A bound claim limits the pod to
// the nodes its PersistentVolume's nodeAffinity allows. An unbound claim of a WaitForFirstConsumer class is
// "delayed": the scheduler picks a node, records it on the claim (volume.kubernetes.io/selected-node), and binds the
// pod only once the provisioner and the PV controller have bound the claim. An unbound claim of an Immediate class
// keeps the pod unschedulable until the PV controller binds it.
import type { V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
import { nodeSelectorTermsMatch } from './node-fit.js';

export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

export interface VolumeLookups {
  claim(namespace: string, name: string): V1PersistentVolumeClaim | undefined;
  storageClass(name: string): V1StorageClass | undefined;
  volume(name: string): V1PersistentVolume | undefined;
}

export type VolumePlan =
  | { kind: 'unschedulable'; message: string }
  | {
    kind: 'schedulable';
    /** The nodes the pod's bound volumes allow. */
    fits(node: V1Node): boolean;
    /** Unbound WaitForFirstConsumer claims: to be provisioned on the chosen node before the pod is bound. */
    delayed: V1PersistentVolumeClaim[];
    /** A claim is bound to a volume but its status is not Bound yet: wait before binding the pod. */
    settling: boolean;
  };

export function planVolumes(pod: V1Pod, lookups: VolumeLookups): VolumePlan {
  const namespace = pod.metadata?.namespace ?? 'default';
  const boundVolumes: V1PersistentVolume[] = [];
  const delayed: V1PersistentVolumeClaim[] = [];
  let settling = false;
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const claim = lookups.claim(namespace, claimName);
    if (!claim) return { kind: 'unschedulable', message: `persistentvolumeclaim "${claimName}" not found` };
    if (claim.metadata?.deletionTimestamp) return { kind: 'unschedulable', message: `persistentvolumeclaim "${claimName}" is being deleted` };
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = lookups.volume(volumeName);
      if (!pv) return { kind: 'unschedulable', message: `persistentvolume "${volumeName}" not found` };
      boundVolumes.push(pv);
      if (claim.status?.phase !== 'Bound') settling = true;
      continue;
    }
    const className = claim.spec?.storageClassName ?? '';
    const storageClass = className ? lookups.storageClass(className) : undefined;
    if (storageClass?.volumeBindingMode === 'WaitForFirstConsumer') delayed.push(claim);
    else return { kind: 'unschedulable', message: 'pod has unbound immediate PersistentVolumeClaims' };
  }
  return {
    kind: 'schedulable',
    fits: (node) => boundVolumes.every((pv) => {
      const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
      return !terms || nodeSelectorTermsMatch(terms, node);
    }),
    delayed,
    settling,
  };
}
