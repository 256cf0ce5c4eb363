/** Names of the objects derived from a store named S (DESIGN.md, "Objects the reconciler owns"). */
export interface StoreObjectNames {
  statefulSet: string;
  headlessService: string;
  masterService: string;
  readService: string;
  configMap: string;
  authSecret: string;
  tlsSecret: string;
  /** The CAs the engines accept client certificates from when spec.tls.clientCaSecretName is set (reconciler/controller/client-certificates.ts). */
  clientCaBundleSecret: string;
  podDisruptionBudget: string;
  networkPolicy: string;
}

export function storeObjectNames(storeName: string): StoreObjectNames {
  return {
    statefulSet: storeName,
    headlessService: `${storeName}-headless`,
    masterService: storeName,
    readService: `${storeName}-replicas`,
    configMap: `${storeName}-config`,
    authSecret: `${storeName}-auth`,
    tlsSecret: `${storeName}-tls`,
    clientCaBundleSecret: `${storeName}-client-ca-bundle`,
    podDisruptionBudget: storeName,
    networkPolicy: storeName,
  };
}

export const DATA_VOLUME_NAME = 'data';

export function podName(storeName: string, ordinal: number): string {
  return `${storeName}-${ordinal}`;
}

/** The ordinal of a StatefulSet pod name, or undefined when the name is not `<store>-<n>`. */
export function podOrdinal(storeName: string, name: string): number | undefined {
  const prefix = `${storeName}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export function persistentVolumeClaimName(storeName: string, ordinal: number): string {
  return `${DATA_VOLUME_NAME}-${storeName}-${ordinal}`;
}

/**
 * The longest store name whose derived names all fit in a 63-character DNS label: the StatefulSet controller labels
 * pods with `controller-revision-hash: <name>-<hash of up to 10 chars>`, which is the tightest constraint (52 + 11).
 * Service names (`<name>-headless`, `<name>-replicas`) need 54 or fewer.
 */
export const MAX_STORE_NAME_LENGTH = 52;
