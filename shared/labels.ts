/** Labels and annotations the operator owns. Users may not set these keys through podMetadata. */
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_ROLE = 'redwing.dev/role';
export const LABEL_NAME_VALUE = 'kvstore';
export const MANAGED_BY_VALUE = 'redwing';

export type PodRole = 'master' | 'replica';

/** Labels on every object the reconciler owns for store `storeName`. */
export function storeLabels(storeName: string): Record<string, string> {
  return { [LABEL_NAME]: LABEL_NAME_VALUE, [LABEL_INSTANCE]: storeName, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
}

/** The selector of a store's pods (stable across roles, so it can be the StatefulSet selector). */
export function storeSelectorLabels(storeName: string): Record<string, string> {
  return { [LABEL_NAME]: LABEL_NAME_VALUE, [LABEL_INSTANCE]: storeName };
}

/** `a=b,c=d`, the string form of a selector used by status.selector and list calls. */
export function formatLabelSelector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(',');
}

/** Label keys (or prefixes) users may not set on pods: the operator's selectors and role depend on them. */
export const OPERATOR_OWNED_LABEL_KEYS = [LABEL_NAME, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_ROLE] as const;
export const OPERATOR_OWNED_LABEL_PREFIXES = ['redwing.dev/', 'statefulset.kubernetes.io/', 'controller-revision-hash'] as const;

export function isOperatorOwnedLabel(key: string): boolean {
  return (OPERATOR_OWNED_LABEL_KEYS as readonly string[]).includes(key)
    || OPERATOR_OWNED_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Finalizer the reconciler puts on every KVStore so PVC retention is decided before the store disappears. */
export const KVSTORE_FINALIZER = 'redwing.dev/pvc-retention';

/** Annotations */
export const ANNOTATION_CONFIG_HASH = 'redwing.dev/config-hash';
export const ANNOTATION_PASSWORD_HASH = 'redwing.dev/password-hash';

/**
 * A user's request to move the master: the value is the pod to hand it to (`<store>-<ordinal>`) or `any` (the
 * most caught-up ready replica). The reconciler carries it out or refuses it, then removes the annotation.
 */
export const ANNOTATION_SWITCHOVER = 'redwing.dev/switchover';
export const SWITCHOVER_ANY = 'any';

/**
 * Why `value` cannot be a switchover request for store `storeName` of `replicas` pods, or undefined when it can.
 * Shared by the webhook (which refuses it) and the reconciler (which refuses a store written around the webhook).
 */
export function switchoverRequestProblem(value: string, storeName: string, replicas: number): string | undefined {
  if (value === SWITCHOVER_ANY) return undefined;
  const prefix = `${storeName}-`;
  const ordinal = value.startsWith(prefix) ? value.slice(prefix.length) : '';
  if (!/^(0|[1-9][0-9]*)$/.test(ordinal)) return `must be '${SWITCHOVER_ANY}' or the name of one of this store's pods (${storeName}-0 .. ${storeName}-${replicas - 1}); got '${value}'`;
  if (Number(ordinal) >= replicas) return `names pod ${value}, but the store has ${replicas} pods (${storeName}-0 .. ${storeName}-${replicas - 1})`;
  return undefined;
}
