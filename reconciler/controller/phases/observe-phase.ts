/**
 * The observe phase: the store's pods from the cache, probed over the engine protocol with every password that may
 * be in use. Run again after the engines changed, so status reports what is true after the actions. A master lost
 * because its pod is terminating, while its engine still runs, has its writes paused first, so the offsets the
 * election compares are final.
 */
import type { ControllerContext } from '../context.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseWrites } from '../../replication/index.js';
import { podEndpoint, probePods, type EngineCredentials, type ProbedPods } from '../engine-access.js';
import { observePods } from '../observed.js';
import { readPasswordRecord, type PasswordRecord } from '../password-record.js';
import type { CredentialMemory } from '../store-memory.js';
import type { ReconcileTarget } from './resolve-phase.js';

/** The probe timeout of a master the failover clock holds lost. */
export const LOST_MASTER_PROBE_MS = 50;
/**
 * Writes stay paused on a master whose pod is terminating for as long as its shutdown may take (the default grace
 * period): it is being failed over, and whatever it took now its replicas may not get (pause-writes.ts).
 */
const GOING_MASTER_PAUSE_MS = 30_000;
const SETTLE_ROUNDS = 5;
const SETTLE_INTERVAL_MS = 50;

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
  // A master declared lost has just been silent for downAfterMilliseconds (or its pod or process is gone): a hung one
  // would hold the failover for the whole probe timeout, while one that woke up answers within milliseconds.
  const lostMaster = context.memories.get(target.key)?.failover.masterDownConfirmed ? target.store.status?.master : undefined;
  const timeoutFor = (pod: { name: string }) => (pod.name === lostMaster ? Math.min(LOST_MASTER_PROBE_MS, context.probeTimeoutMs) : context.probeTimeoutMs);
  const going = observed.find((pod) => pod.name === lostMaster && pod.terminating && pod.ip !== undefined);
  const paused = going ? await pauseWrites(podEndpoint(name, namespace, going, credentials.passwords[0], credentials.tls), GOING_MASTER_PAUSE_MS, LOST_MASTER_PROBE_MS) : undefined;
  let probed = await probePods(name, namespace, observed, credentials, timeoutFor);
  // What the paused master had streamed may still be on its way to the replicas: wait (briefly) for one to hold it all.
  for (let round = 0; paused?.offset !== undefined && round < SETTLE_ROUNDS && highestOffset(probed) < paused.offset; round += 1) {
    await sleep(SETTLE_INTERVAL_MS);
    probed = await probePods(name, namespace, observed, credentials, timeoutFor);
  }
  return { probed, credentials, record };
}

function highestOffset(probed: ProbedPods): number {
  return Math.max(0, ...[...probed.states.values()].filter((state) => state.role === 'replica').map((state) => state.replicationOffset));
}
