/**
 * The secrets phase: the password, exporter and TLS Secrets a store needs before its pods can start. What blocks
 * the store (a user-named Secret that is missing) is reported, not thrown: the store's status says why it waits.
 * After the engines ran, the password the pods all accept is recorded for the next operator (recordAcceptedPassword).
 */
import type { KubeObject } from '../../../kube/client.js';
import type { ControllerContext } from '../context.js';
import { passwordAcceptedByAll, recordPassword, type PasswordRecord } from '../password-record.js';
import type { CredentialMemory } from '../store-memory.js';
import { ensureClientCaBundle } from '../client-certificates.js';
import { adoptKeptSecrets } from '../kept-secrets.js';
import { ensureExporterSecret, ensurePassword, ensureTlsSecret, type Blocked } from '../store-secrets.js';
import type { ReconcileTarget } from './resolve-phase.js';

/** How long a reconcile waits for a namespace's Secret cache to fill the first time. */
const SECRET_CACHE_WAIT_MS = 5_000;

export interface SecretsOutcome {
  /** Undefined when authentication is off or the password Secret is missing. */
  password?: string;
  blocked: Blocked[];
  /** Whether the engines may be acted on: a missing Secret blocks them unless the password itself is known. */
  enginesReachable: boolean;
}

export async function secretsPhase(context: ControllerContext, target: ReconcileTarget, credentials: CredentialMemory): Promise<SecretsOutcome> {
  const { store, resolved } = target;
  const { spec } = resolved;
  const secrets = context.informers.secrets;
  // The first store of a namespace starts that namespace's Secret cache; until it lists, Secrets are read by name.
  await secrets.watchNamespace(store.metadata!.namespace!, SECRET_CACHE_WAIT_MS);
  const blocked: Blocked[] = [];
  // First: a store re-created over kept data takes back its predecessor's password and certificate (kept-secrets.ts).
  const adopted = await adoptKeptSecrets(context.client, secrets, resolved);
  if (adopted.length > 0) await context.events.record(store as KubeObject, { type: 'Normal', reason: 'SecretsAdopted', message: `adopted the Secrets kept with the data: ${adopted.join(', ')}` });
  const passwordOutcome = await ensurePassword(context.client, secrets, store, spec);
  if (passwordOutcome.blocked) blocked.push(passwordOutcome.blocked);
  // Before the StatefulSet: the engine and exporter containers take the exporter password from this Secret.
  const exporterOutcome = await ensureExporterSecret(context.client, secrets, store, resolved);
  if (exporterOutcome.blocked) blocked.push(exporterOutcome.blocked);
  const tlsOutcome = await ensureTlsSecret(context.client, secrets, store, spec, context.loadCa);
  if (tlsOutcome.blocked) blocked.push(tlsOutcome.blocked);
  if (tlsOutcome.issued) await context.events.record(store as KubeObject, { type: 'Normal', reason: 'TlsIssued', message: 'issued the TLS Secret from the operator CA' });
  credentials.tlsCaPem = spec.tls?.enabled === true ? tlsOutcome.caPem : undefined;
  credentials.tlsClient = undefined;
  if (spec.tls?.enabled === true && spec.tls.clientCaSecretName) {
    const [operatorCa, clientCertificate] = await Promise.all([context.loadCa(), context.loadClientCertificate?.()]);
    const bundleOutcome = await ensureClientCaBundle(context.client, secrets, store, spec, { servingCaPem: tlsOutcome.caPem, operatorCaPem: operatorCa?.certPem });
    if (bundleOutcome.blocked) blocked.push(bundleOutcome.blocked);
    credentials.tlsClient = clientCertificate;
  }
  const password = passwordOutcome.password;
  return { password, blocked, enginesReachable: blocked.length === 0 || password !== undefined || spec.authentication?.enabled === false };
}

/** Records the password every pod accepted, so a restarted operator can still rotate away from it. Never fatal. */
export async function recordAcceptedPassword(
  context: ControllerContext, target: ReconcileTarget, record: PasswordRecord, password: string | undefined, passwordByPod: Map<string, string | undefined>,
): Promise<void> {
  if (password === undefined || passwordAcceptedByAll(passwordByPod) !== password) return;
  try {
    await recordPassword(context.client, target.store, record, password);
  } catch (error) {
    // The record is only needed after a restart, and the next reconcile writes it again.
    context.logger.warn({ store: target.key, err: error }, 'recording the password in use failed');
  }
}
