// Where the kubelet reads pod volume data: ConfigMaps, Secrets and claims, from the API server.
import { join } from 'node:path';
import { isStatus, type RestClient } from '../controllers/client/rest.js';
import type { VolumeSource } from './volumes.js';

export function makeVolumeSource(rest: RestClient, dir: string, token: string): VolumeSource {
  const read = async (kind: 'configmaps' | 'secrets', namespace: string, name: string) => {
    try {
      return await rest.request<{ data?: Record<string, string>; binaryData?: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/${kind}/${name}`);
    } catch (error: unknown) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  };
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
    claimDir: async (namespace, claimName) => {
      try {
        const pvc = await rest.request<{ metadata?: { uid?: string; deletionTimestamp?: string } }>('GET', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}`);
        return join(dir, 'volumes', `pvc-${pvc.metadata?.uid}`);
      } catch (error: unknown) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
    serviceAccountToken: () => token,
  };
}
