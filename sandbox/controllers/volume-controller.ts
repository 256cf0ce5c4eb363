// Storage, reduced to what users see: every claim is Bound at once to a host directory `<dir>/volumes/pvc-<uid>`
// (no PersistentVolume objects), and the `kubernetes.io/pvc-protection` finalizer is removed once no pod uses the
// claim; the directory is then deleted, like a dynamically provisioned volume with reclaim policy Delete.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Informer, keyOf } from './client/informer.js';
import { isStatus, type RestClient } from './client/rest.js';
import { WorkQueue } from './client/work-queue.js';

const PROTECTION = 'kubernetes.io/pvc-protection';

export class VolumeController {
  private readonly queue: WorkQueue;

  constructor(
    private readonly dir: string,
    private readonly rest: RestClient,
    private readonly claims: Informer<V1PersistentVolumeClaim>,
    private readonly pods: Informer<V1Pod>,
    private readonly logger: Logger,
  ) {
    this.queue = new WorkQueue('volumes', (key) => this.sync(key), logger);
    const enqueue = (pvc: V1PersistentVolumeClaim) => this.queue.add(keyOf(pvc));
    claims.on('add', enqueue).on('update', enqueue).on('delete', (pvc) => this.removeVolume(pvc));
    const onPod = (pod: V1Pod) => {
      for (const v of pod.spec?.volumes ?? []) {
        if (v.persistentVolumeClaim) this.queue.add(`${pod.metadata?.namespace}/${v.persistentVolumeClaim.claimName}`);
      }
    };
    pods.on('delete', onPod).on('update', onPod);
  }

  stop(): void {
    this.queue.stop();
  }

  private removeVolume(pvc: V1PersistentVolumeClaim): void {
    if (pvc.metadata?.uid) rmSync(join(this.dir, 'volumes', `pvc-${pvc.metadata.uid}`), { recursive: true, force: true });
  }

  private inUse(pvc: V1PersistentVolumeClaim): boolean {
    return this.pods.list(pvc.metadata?.namespace).some((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed'
      && (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name));
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pvc = this.claims.get(namespace, name);
    if (!pvc) return;
    const path = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`;
    if (pvc.metadata?.deletionTimestamp) {
      const finalizers = pvc.metadata.finalizers ?? [];
      if (!finalizers.includes(PROTECTION) || this.inUse(pvc)) return;
      await this.rest.request('PATCH', path, { metadata: { finalizers: finalizers.filter((f) => f !== PROTECTION), resourceVersion: pvc.metadata.resourceVersion } }, 'application/merge-patch+json')
        .catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
      return;
    }
    if (pvc.status?.phase === 'Bound') return;
    const storage = pvc.spec?.resources?.requests?.storage ?? '1Gi';
    await this.rest.request('PATCH', `${path}/status`, {
      status: { phase: 'Bound', accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'], capacity: { storage } },
    }, 'application/merge-patch+json').catch((error: unknown) => {
      if (!isStatus(error, 404)) throw error;
    });
    this.logger.debug({ claim: key }, 'claim bound');
  }
}
