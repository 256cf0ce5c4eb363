/**
 * kube-apiserver's DefaultStorageClass admission plugin: a claim created without `spec.storageClassName` gets the
 * default class. With several defaults the newest wins, then the name (plugin/pkg/admission/storage/
 * storageclass/setdefault and GetDefaultClass since Kubernetes 1.26).
 */
import type { KubeObject } from './types.js';

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export function isDefaultStorageClass(storageClass: KubeObject): boolean {
  return DEFAULT_ANNOTATIONS.some((key) => storageClass.metadata.annotations?.[key] === 'true');
}

export function defaultStorageClassName(classes: KubeObject[]): string | undefined {
  const defaults = classes.filter(isDefaultStorageClass).sort((a, b) => {
    const byTime = String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? ''));
    return byTime !== 0 ? byTime : String(a.metadata.name ?? '').localeCompare(String(b.metadata.name ?? ''));
  });
  return defaults[0]?.metadata.name;
}
