// Pod volumes become directories on the host. ConfigMap/Secret/downwardAPI/projected/emptyDir live under the pod's
// directory and go away with the pod; a PVC's directory is keyed by the PVC's uid and outlives every pod using it.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ConfigError, readFieldPath, type DataSource } from './env.js';

export interface VolumeSource extends DataSource {
  /** Host directory of a claim, or undefined when the PVC does not exist. */
  claimDir(namespace: string, claimName: string): Promise<string | undefined>;
  /** The token of a serviceAccountToken projection: issued by TokenRequest for the pod's ServiceAccount, bound to the pod. */
  serviceAccountToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string>;
}

export interface MaterializedVolume {
  name: string;
  hostPath: string;
  /** True for volumes the kubelet refreshes while the pod runs (ConfigMap, Secret, projected, downwardAPI). */
  refreshable: boolean;
}

type Files = Map<string, { data: Buffer; mode?: number }>;

function selectKeys(data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, what: string, optional: boolean): Files {
  const files: Files = new Map();
  if (!items || items.length === 0) {
    for (const [key, value] of Object.entries(data)) files.set(key, { data: value });
    return files;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new ConfigError(`configmap references non-existent config key: ${item.key} (${what})`);
    }
    files.set(item.path, { data: value, mode: item.mode });
  }
  return files;
}

async function filesOf(pod: V1Pod, volume: V1Volume, source: VolumeSource): Promise<Files | undefined> {
  const namespace = pod.metadata?.namespace ?? 'default';
  if (volume.configMap) {
    const ref = volume.configMap;
    const data = await source.configMap(namespace, ref.name ?? '');
    if (!data) {
      if (ref.optional) return new Map();
      throw new ConfigError(`configmap "${ref.name}" not found`);
    }
    return selectKeys(data, ref.items, `configmap ${ref.name}`, !!ref.optional);
  }
  if (volume.secret) {
    const ref = volume.secret;
    const data = await source.secret(namespace, ref.secretName ?? '');
    if (!data) {
      if (ref.optional) return new Map();
      throw new ConfigError(`secret "${ref.secretName}" not found`);
    }
    return selectKeys(data, ref.items, `secret ${ref.secretName}`, !!ref.optional);
  }
  if (volume.downwardAPI) {
    const files: Files = new Map();
    for (const item of volume.downwardAPI.items ?? []) {
      if (item.fieldRef) files.set(item.path, { data: Buffer.from(readFieldPath(pod, item.fieldRef.fieldPath)), mode: item.mode });
    }
    return files;
  }
  if (volume.projected) {
    const files: Files = new Map();
    for (const src of volume.projected.sources ?? []) {
      let part: Files | undefined;
      if (src.configMap) part = await filesOf(pod, { name: volume.name, configMap: src.configMap }, source);
      else if (src.secret) part = await filesOf(pod, { name: volume.name, secret: { secretName: src.secret.name, items: src.secret.items, optional: src.secret.optional } }, source);
      else if (src.downwardAPI) part = await filesOf(pod, { name: volume.name, downwardAPI: src.downwardAPI }, source);
      else if (src.serviceAccountToken) {
        const { path, audience, expirationSeconds } = src.serviceAccountToken;
        part = new Map([[path, { data: Buffer.from(await source.serviceAccountToken(pod, audience, expirationSeconds)) }]]);
      }
      for (const [k, v] of part ?? []) files.set(k, v);
    }
    return files;
  }
  return undefined;
}

function defaultModeOf(volume: V1Volume): number {
  return volume.configMap?.defaultMode ?? volume.secret?.defaultMode ?? volume.downwardAPI?.defaultMode
    ?? volume.projected?.defaultMode ?? 0o644;
}

function writeFiles(dir: string, files: Files, defaultMode: number): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of files) {
    if (path.split('/').includes('..')) throw new ConfigError(`volume item path "${path}" must not contain '..'`);
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
    chmodSync(target, file.mode ?? defaultMode);
  }
}

/** Creates (or refreshes) the host directories of every pod volume. `podDir` is the pod's own directory. */
export async function materializeVolumes(pod: V1Pod, podDir: string, source: VolumeSource): Promise<MaterializedVolume[]> {
  const result: MaterializedVolume[] = [];
  for (const volume of pod.spec?.volumes ?? []) {
    const dir = join(podDir, 'volumes', volume.name);
    if (volume.persistentVolumeClaim) {
      const claim = volume.persistentVolumeClaim.claimName;
      const hostPath = await source.claimDir(pod.metadata?.namespace ?? 'default', claim);
      if (!hostPath) throw new ConfigError(`persistentvolumeclaim "${claim}" not found`);
      mkdirSync(hostPath, { recursive: true });
      result.push({ name: volume.name, hostPath, refreshable: false });
      continue;
    }
    if (volume.hostPath) {
      result.push({ name: volume.name, hostPath: volume.hostPath.path, refreshable: false });
      continue;
    }
    const files = await filesOf(pod, volume, source);
    if (files) {
      writeFiles(dir, files, defaultModeOf(volume));
      result.push({ name: volume.name, hostPath: dir, refreshable: true });
    } else {
      // emptyDir, and any volume type the sandbox does not model, is an empty directory.
      mkdirSync(dir, { recursive: true });
      result.push({ name: volume.name, hostPath: dir, refreshable: false });
    }
  }
  return result;
}

export function removePodDir(podDir: string): void {
  rmSync(podDir, { recursive: true, force: true });
}
