/**
 * The observe phase: the store's pods from the cache, probed over the engine protocol with every password that may
 * be in use. Run again after the engines changed, so status reports what is true after the actions.
 */
import type { ControllerContext } from '../context.js';
import { probePods, type EngineCredentials, type ProbedPods } from '../engine-access.js';
import { observePods } from '../observed.js';
import { readPasswordRecord, type PasswordRecord } from '../password-record.js';
import type { CredentialMemory } from '../store-memory.js';
import type { ReconcileTarget } from './resolve-phase.js';

export interface Observation {
  probed: ProbedPods;
  credentials: EngineCredentials;
  /** The operator's record of the password the pods accepted (survives operator restarts). */
  record: PasswordRecord;
}

/**
 * Passwords to try on the pods, in order: the Secret's (the pods accept it unless a rotation is due), the last one
 * this process saw accepted, then the operator's record (a Secret changed while the operator was down is still
 * rotated live). Pure.
 */
export function credentialsFor(memory: CredentialMemory, password: string | undefined, record: PasswordRecord): EngineCredentials {
  const candidates = [password, memory.lastPassword, record.password, record.previous];
  const passwords = [...new Set(candidates.filter((candidate): candidate is string => candidate !== undefined))];
  return { passwords, tls: engineTlsFor(memory) };
}

/** The TLS options of every engine connection: the CA, and the operator's client certificate when one is required. Pure. */
export function engineTlsFor(memory: CredentialMemory): EngineCredentials['tls'] {
  if (!memory.tlsCaPem) return undefined;
  return memory.tlsClient ? { ca: memory.tlsCaPem, cert: memory.tlsClient.certPem, key: memory.tlsClient.keyPem } : { ca: memory.tlsCaPem };
}

export async function observePhase(context: ControllerContext, target: ReconcileTarget, memory: CredentialMemory, password: string | undefined): Promise<Observation> {
  const { name, namespace } = target.resolved;
  const record = readPasswordRecord(context.informers.secrets, namespace, name);
  const credentials = credentialsFor(memory, password, record);
  const observed = observePods(name, context.informers.pods.listIndexed(target.key) as never);
  const probed = await probePods(name, namespace, observed, credentials, context.probeTimeoutMs);
  return { probed, credentials, record };
}
