// Where the kubelet reads pod volume data: ConfigMaps, Secrets and claims, from the API server.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { PodTokenCache } from './service-account.js';
import type { VolumeSource } from './volumes.js';

export function makeVolumeSource(rest: KubeClient, tokens: PodTokenCache): VolumeSource {
  const get = async <T>(path: string): Promise<T | undefined> => {
    try {
      return await rest.request<T>('GET', path);
    } catch (error: unknown) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  };
  const read = (kind: 'configmaps' | 'secrets', namespace: string, name: string) =>
    get<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/${kind}/${name}`);
  return {
    configMap: async (namespace, name) => {
      const cm = await read('configmaps', namespace, name);
      if (!cm) return undefined;
      const out: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
      return out;
    },
    secret: async (namespace, name) => {
      const secret = await read('secrets', namespace, name);
      if (!secret) return undefined;
      const out: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64');
      return out;
    },
    // As the real kubelet: the claim names its PersistentVolume, whose local (or hostPath) path is the data.
    claimDir: async (namespace, claimName) => {
      const claim = await get<V1PersistentVolumeClaim>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}`);
      if (!claim) return undefined;
      const volumeName = claim.spec?.volumeName;
      if (!volumeName || claim.status?.phase !== 'Bound') throw new Error(`persistentvolumeclaim "${claimName}" is not bound`);
      const pv = await get<V1PersistentVolume>(`/api/v1/persistentvolumes/${volumeName}`);
      const path = pv?.spec?.local?.path ?? pv?.spec?.hostPath?.path;
      if (!path) throw new Error(`persistentvolume "${volumeName}" has no local or hostPath source`);
      return path;
    },
    serviceAccountToken: (pod, audience, expirationSeconds) => tokens.tokenFor(pod, audience, expirationSeconds),
  };
}
