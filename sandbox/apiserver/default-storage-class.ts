/**
 * Which StorageClass is the default: kube-apiserver's DefaultStorageClass admission plugin gives it to a claim created
 * without `spec.storageClassName`, and kube-controller-manager's PV controller to an older claim retroactively. With
 * several defaults the newest wins, then the name (GetDefaultClass since Kubernetes 1.26).
 */

/** Structural, so the API server (stored JSON) and the controllers (client-node types) share it. */
interface StorageClassLike {
  metadata?: { name?: string; annotations?: Record<string, string>; creationTimestamp?: unknown };
}

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export function isDefaultStorageClass(storageClass: StorageClassLike): boolean {
  return DEFAULT_ANNOTATIONS.some((key) => storageClass.metadata?.annotations?.[key] === 'true');
}

/** Timestamps compare as RFC 3339 text (the informers' JSON holds strings, whatever the client types say). */
function created(storageClass: StorageClassLike): string {
  const value = storageClass.metadata?.creationTimestamp;
  return value instanceof Date ? value.toISOString() : String(value ?? '');
}

export function defaultStorageClassName(classes: StorageClassLike[]): string | undefined {
  const defaults = classes.filter(isDefaultStorageClass).sort((a, b) => {
    const byTime = created(b).localeCompare(created(a));
    return byTime !== 0 ? byTime : String(a.metadata?.name ?? '').localeCompare(String(b.metadata?.name ?? ''));
  });
  return defaults[0]?.metadata?.name;
}
