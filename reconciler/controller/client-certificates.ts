/**
 * Stores that require client certificates (`spec.tls.clientCaSecretName`). Three parties present one to an engine:
 * the operator (probes, health monitor, promotion, switchover, live settings, snapshots), the replicas (their
 * serving certificate, to their master), and the pod's own exporter and probe script (the serving certificate too).
 * So the engines' CA file is a bundle, Secret `S-client-ca-bundle`, owned by the store: the user's client CA, the CA of the
 * store's TLS Secret, and the operator CA that issues the operator's client certificate. The user's Secret stays
 * untouched; a change to it reaches the bundle on the next reconcile (the engines read the file when they start).
 */
import type { KeyPairPem } from '../../certs/authority.js';
import { isConflict } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import { storeObjectNames } from '../../shared/names.js';
import { combinePemBundles } from '../../shared/pem-bundle.js';
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { ownedObjectMeta, resolveStore } from '../desired/store-context.js';
import { decodeSecretValue, readStoreSecret, type Blocked } from './store-secrets.js';

/** The name on the operator's client certificate, as the engines' logs show it. */
export const OPERATOR_CLIENT_COMMON_NAME = 'redwing-operator';

/**
 * The operator's client certificate, issued from the operator CA. Any certificate that CA issued is accepted by
 * every store's engines, so each process issues its own once and keeps it in memory: nothing to store or rotate.
 */
export async function issueOperatorClientCertificate(ca: KeyPairPem): Promise<KeyPairPem> {
  // Loaded here: node-forge costs about 10 MB of RSS and only stores requiring client certificates need it.
  const { issueServingCertificate } = await import('../../certs/authority.js');
  return issueServingCertificate(ca, { commonName: OPERATOR_CLIENT_COMMON_NAME, dnsNames: [OPERATOR_CLIENT_COMMON_NAME], clientAuth: true });
}

/** Issues on first call, then answers the same certificate: `loadCa` is the operator CA loader of the context. */
export function lazyOperatorClientCertificate(loadCa: () => Promise<KeyPairPem | undefined>): () => Promise<KeyPairPem | undefined> {
  let issued: Promise<KeyPairPem | undefined> | undefined;
  return () => {
    issued ??= loadCa().then((ca) => (ca ? issueOperatorClientCertificate(ca) : undefined));
    // A failed issue is tried again on the next reconcile rather than remembered.
    issued.catch(() => { issued = undefined; });
    return issued;
  };
}

export interface ClientCaSources {
  /** The CA that issued the store's serving certificates (replicas present those to their master). */
  servingCaPem?: string;
  /** The CA that issued the operator's client certificate. */
  operatorCaPem?: string;
}

/** The bundle Secret's desired content: the user's client CA first, then the serving and operator CAs. Pure. */
export function clientCaBundle(userClientCaPem: string, sources: ClientCaSources): string {
  return combinePemBundles([userClientCaPem, sources.servingCaPem, sources.operatorCaPem]);
}

/** Creates or updates `S-client-ca-bundle`. Blocked when the user's client CA Secret or its `ca.crt` is missing. */
export async function ensureClientCaBundle(
  client: KubeClient, secrets: Informer | undefined, store: KVStore, spec: KVStoreSpec, sources: ClientCaSources,
): Promise<{ blocked?: Blocked }> {
  const userSecretName = spec.tls?.enabled ? spec.tls.clientCaSecretName : undefined;
  if (!userSecretName) return {};
  const namespace = store.metadata!.namespace!;
  const userCaPem = decodeSecretValue(await readStoreSecret(client, secrets, namespace, userSecretName), 'ca.crt');
  if (!userCaPem) {
    return { blocked: { reason: 'ClientCaSecretMissing', message: `client CA Secret ${namespace}/${userSecretName} does not exist or has no key ca.crt: create it (kubectl -n ${namespace} create secret generic ${userSecretName} --from-file=ca.crt=<CA certificate>)` } };
  }
  const resolved = resolveStore(store);
  const name = storeObjectNames(resolved.name).clientCaBundleSecret;
  const bundle = clientCaBundle(userCaPem, sources);
  const data = { 'ca.crt': Buffer.from(bundle).toString('base64') };
  const path = paths.coreObject('secrets', namespace, name);
  const existing = await readStoreSecret(client, secrets, namespace, name);
  if (existing && !existing.metadata?.ownerReferences?.some((owner) => owner.uid === resolved.uid)) {
    // Someone else's Secret under the bundle's name: never overwritten.
    return { blocked: { reason: 'ClientCaBundleConflict', message: `Secret ${name} exists and is not this store's; rename or delete it` } };
  }
  if (existing?.data?.['ca.crt'] === data['ca.crt']) return {};
  if (existing) {
    await client.patch(path, { data });
    return {};
  }
  const secret = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: ownedObjectMeta(resolved, name), data };
  try {
    await client.create(paths.core('secrets', namespace), secret);
  } catch (error) {
    // Created meanwhile (a reconcile before a restart, or the cache behind): the next reconcile compares again.
    if (!isConflict(error)) throw new Error(`creating Secret ${namespace}/${name}`, { cause: error });
  }
  return {};
}
