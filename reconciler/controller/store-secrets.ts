/**
 * The Secrets a store needs before its pods can start: the password Secret (created with a random password when the
 * defaulted `S-auth` is missing; a user-named Secret that is missing is reported, never invented) and the TLS Secret
 * (issued from the operator CA when TLS is on and the Secret is absent). Both are created, never applied, so a re-run
 * never replaces an existing password or certificate.
 */
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import type { KeyPairPem } from '../../certs/authority.js';
import { buildAuthSecret } from '../desired/build-auth-secret.js';
import { buildExporterSecret, EXPORTER_PASSWORD_KEY, exporterSecretName, usesExporterUser } from '../desired/build-exporter-auth.js';
import { ownedObjectMeta, resolveStore, type ResolvedStore } from '../desired/store-context.js';
import { isConflict, statusCodeOf } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

export interface Blocked {
  reason: string;
  message: string;
}

export interface PasswordOutcome {
  /** Undefined when authentication is off. */
  password?: string;
  created: boolean;
  blocked?: Blocked;
}

export async function readStoreSecret(client: KubeClient, cache: Informer | undefined, namespace: string, name: string): Promise<SecretObject | undefined> {
  const cached = cache?.get(namespace, name) as SecretObject | undefined;
  if (cached) return cached;
  try {
    return await client.getOptional<SecretObject>(paths.coreObject('secrets', namespace, name));
  } catch (error) {
    if (statusCodeOf(error) === 403) throw secretsForbidden(namespace, error);
    throw error;
  }
}

/** Secret access can be granted namespace by namespace (manifests/rbac/reconciler.yaml): say how, where it lacks. */
export function secretsForbidden(namespace: string, cause: unknown): Error {
  return new Error(`the reconciler may not read Secrets in namespace ${namespace}: grant them with `
    + `kubectl -n ${namespace} create rolebinding redwing-reconciler-secrets --clusterrole=redwing-reconciler-secrets `
    + '--serviceaccount=redwing-system:redwing-reconciler', { cause });
}

export function decodeSecretValue(secret: SecretObject | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

export async function ensurePassword(client: KubeClient, secrets: Informer | undefined, store: KVStore, spec: KVStoreSpec): Promise<PasswordOutcome> {
  if (spec.authentication?.enabled === false) return { created: false };
  const reference = spec.authentication?.passwordFromSecret;
  const namespace = store.metadata!.namespace!;
  if (!reference) return { created: false, blocked: { reason: 'PasswordSecretMissing', message: 'authentication is on but no password Secret is set' } };
  const existing = await readStoreSecret(client, secrets, namespace, reference.name);
  if (existing) {
    const password = decodeSecretValue(existing, reference.key);
    if (password === undefined || password === '') {
      return { created: false, blocked: { reason: 'PasswordSecretInvalid', message: `Secret ${namespace}/${reference.name} has no key ${reference.key}: add the password under that key` } };
    }
    return { password, created: false };
  }
  const secret = buildAuthSecret(store);
  if (!secret) {
    return { created: false, blocked: { reason: 'PasswordSecretMissing', message: `password Secret ${namespace}/${reference.name} does not exist: create it (kubectl -n ${namespace} create secret generic ${reference.name} --from-literal=${reference.key}=<password>)` } };
  }
  try {
    await client.create(paths.core('secrets', namespace), secret);
    return { password: decodeSecretValue(secret as SecretObject, reference.key), created: true };
  } catch (error) {
    // Someone (another reconcile before a restart) created it first: use theirs.
    if (!isConflict(error)) throw error;
    const raced = await client.getOptional<SecretObject>(paths.coreObject('secrets', namespace, reference.name));
    return { password: decodeSecretValue(raced, reference.key), created: false };
  }
}

export interface ExporterSecretOutcome {
  created: boolean;
  blocked?: Blocked;
}

/**
 * The exporter's password Secret `S-exporter-auth`, created with a random password when the store uses the exporter
 * user and the Secret is absent. Never replaced: the engines and exporters of running pods hold that password until
 * they restart, so a new one would lock the exporter out. An existing Secret without the key is reported (the pods
 * cannot start without it) and left for the user to fix or delete.
 */
export async function ensureExporterSecret(client: KubeClient, secrets: Informer | undefined, store: KVStore, resolved: ResolvedStore = resolveStore(store)): Promise<ExporterSecretOutcome> {
  if (!usesExporterUser(resolved)) return { created: false };
  const namespace = store.metadata!.namespace!;
  const name = exporterSecretName(store.metadata!.name!);
  const existing = await readStoreSecret(client, secrets, namespace, name);
  if (existing) {
    const password = decodeSecretValue(existing, EXPORTER_PASSWORD_KEY);
    if (password === undefined || password === '') {
      return { created: false, blocked: { reason: 'ExporterSecretInvalid', message: `Secret ${name} has no key ${EXPORTER_PASSWORD_KEY}; delete it and the operator creates a new one` } };
    }
    return { created: false };
  }
  try {
    await client.create(paths.core('secrets', namespace), buildExporterSecret(store)!);
    return { created: true };
  } catch (error) {
    // Created meanwhile (a reconcile before a restart, or the cache lagging behind): keep that one.
    if (isConflict(error)) return { created: false };
    throw new Error(`creating Secret ${namespace}/${name}`, { cause: error });
  }
}

/** DNS names a store's certificate covers: the Services and every pod behind the headless Service. */
export function storeDnsNames(storeName: string, namespace: string): string[] {
  const names = storeObjectNames(storeName);
  const services = [names.masterService, names.readService, names.headlessService];
  const result: string[] = [];
  for (const service of services) result.push(service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`);
  result.push(`*.${names.headlessService}.${namespace}.svc`, `*.${names.headlessService}.${namespace}.svc.cluster.local`);
  return result;
}

export interface TlsOutcome {
  issued: boolean;
  blocked?: Blocked;
  /** The CA the operator verifies the engines with: the Secret's ca.crt, else the operator CA. */
  caPem?: string;
}

export async function ensureTlsSecret(client: KubeClient, secrets: Informer | undefined, store: KVStore, spec: KVStoreSpec, loadCa: () => Promise<KeyPairPem | undefined>): Promise<TlsOutcome> {
  if (!spec.tls?.enabled) return { issued: false };
  const namespace = store.metadata!.namespace!;
  const name = spec.tls.secretName ?? storeObjectNames(store.metadata!.name!).tlsSecret;
  const existing = await readStoreSecret(client, secrets, namespace, name);
  const existingCaPem = decodeSecretValue(existing, 'ca.crt');
  if (existing && existingCaPem) return { issued: false, caPem: existingCaPem };
  const ca = await loadCa();
  if (existing) return { issued: false, caPem: ca?.certPem };
  if (name !== storeObjectNames(store.metadata!.name!).tlsSecret) {
    return { issued: false, blocked: { reason: 'TlsSecretMissing', message: `TLS Secret ${namespace}/${name} does not exist: create it (kubectl -n ${namespace} create secret tls ${name} --cert=<tls.crt> --key=<tls.key>), or leave spec.tls.secretName unset for one from the operator CA` } };
  }
  if (!ca) return { issued: false, blocked: { reason: 'TlsSecretMissing', message: `TLS Secret ${namespace}/${name} does not exist and no operator CA is configured: create it (kubectl -n ${namespace} create secret tls ${name} --cert=<tls.crt> --key=<tls.key>)` } };
  const resolved = resolveStore(store);
  // Loaded here, not at start: node-forge costs about 10 MB of RSS and only TLS stores without a Secret need it.
  const { issueServingCertificate } = await import('../../certs/authority.js');
  const serving = issueServingCertificate(ca, {
    commonName: `${resolved.name}.${namespace}.svc`,
    // localhost and 127.0.0.1: the exporter sidecar and the probe script reach their own engine that way.
    dnsNames: [...storeDnsNames(resolved.name, namespace), 'localhost'],
    ipAddresses: ['127.0.0.1'],
    clientAuth: true,
  });
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: ownedObjectMeta(resolved, name),
    data: {
      'tls.crt': Buffer.from(serving.certPem).toString('base64'),
      'tls.key': Buffer.from(serving.keyPem).toString('base64'),
      'ca.crt': Buffer.from(ca.certPem).toString('base64'),
    },
  };
  try {
    await client.create(paths.core('secrets', namespace), secret);
    return { issued: true, caPem: ca.certPem };
  } catch (error) {
    if (isConflict(error)) return { issued: false, caPem: ca.certPem };
    throw error;
  }
}
