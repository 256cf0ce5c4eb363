/**
 * One scheduled snapshot of one store: observe its pods the way a reconcile does (informer cache, then an INFO probe
 * with the store's credentials), choose the pod, BGSAVE there, record the outcome. Runs outside the work queue, so a
 * long save never holds up reconciles; it only reads the caches and writes its own status fields.
 */
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import type { Logger } from '../../shared/logger.js';
import { storeObjectNames } from '../../shared/names.js';
import type { Condition, KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import type { KeyPairPem } from '../../certs/authority.js';
import type { CredentialMemory } from '../controller/store-memory.js';
import { podEndpoint, probePods, type EngineCredentials } from '../controller/engine-access.js';
import { engineTlsFor } from '../controller/phases/observe-phase.js';
import type { StoreEventRecorder } from '../controller/events.js';
import type { StoreInformers } from '../controller/informers.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient } from '../../kube/client.js';
import { observePods } from '../controller/observed.js';
import { readPasswordRecord } from '../controller/password-record.js';
import { decodeSecretValue, type SecretObject } from '../controller/store-secrets.js';
import { snapshotDestination } from '../../shared/snapshot-destination.js';
import { planSnapshot, type SnapshotPlan } from './plan-snapshot.js';
import type { EngineEndpoint } from '../replication/engine-connection.js';
import { recordSnapshot } from './record-snapshot.js';
import { runBgsave, type BgsaveResult } from './run-bgsave.js';
import type { SnapshotMetrics } from './snapshot-metrics.js';
import { SNAPSHOT_SUCCEEDED, snapshotOutcome, type UploadSummary } from './snapshot-outcome.js';
import { uploadStoreSnapshot, type S3SnapshotSettings } from './upload-store-snapshot.js';

export interface SnapshotRunDeps {
  client: KubeClient;
  informers: StoreInformers;
  events: StoreEventRecorder;
  logger: Logger;
  isLeader: () => boolean;
  /** What the reconciler remembers of a store's credentials: the last password the pods accepted, the CA to verify TLS with. */
  credentialsOf: (key: string) => CredentialMemory | undefined;
  loadCa: () => Promise<KeyPairPem | undefined>;
  probeTimeoutMs: number;
  /** Bound on one BGSAVE (DEFAULT_SNAPSHOT_TIMEOUT_MS when unset). */
  snapshotTimeoutMs?: number;
  pollIntervalMs?: number;
  metrics?: SnapshotMetrics;
  now?: () => Date;
  /** s3:// dirs: where credentials come from without a Secret, and test hooks. */
  s3?: S3SnapshotSettings;
}

/** What choosing a pod and reading its credentials needs (KVBackups use it too). */
export type SnapshotSourceDeps = Pick<SnapshotRunDeps, 'client' | 'informers' | 'credentialsOf' | 'loadCa' | 'probeTimeoutMs'>;

export async function readSecret(deps: Pick<SnapshotRunDeps, 'client' | 'informers'>, namespace: string, name: string): Promise<SecretObject | undefined> {
  // A user-named Secret carries no redwing label, so it is not in the informer cache.
  return (deps.informers.secrets.get(namespace, name) as SecretObject | undefined)
    ?? deps.client.getOptional<SecretObject>(paths.coreObject('secrets', namespace, name));
}

/** The passwords and CA a reconcile would use (reconcile-store.ts credentialsFor), read again for this run. */
export async function snapshotCredentials(deps: SnapshotSourceDeps, key: string, store: KVStore, spec: KVStoreSpec): Promise<EngineCredentials> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const remembered = deps.credentialsOf(key);
  let tls: EngineCredentials['tls'];
  if (spec.tls?.enabled) {
    const secretName = spec.tls.secretName ?? storeObjectNames(name).tlsSecret;
    const ca = remembered?.tlsCaPem ?? decodeSecretValue(await readSecret(deps, namespace, secretName), 'ca.crt') ?? (await deps.loadCa())?.certPem;
    if (ca) tls = engineTlsFor({ tlsCaPem: ca, tlsClient: remembered?.tlsClient });
  }
  if (spec.authentication?.enabled === false) return { passwords: [], tls };
  const reference = spec.authentication?.passwordFromSecret;
  const current = reference ? decodeSecretValue(await readSecret(deps, namespace, reference.name), reference.key) : undefined;
  const record = readPasswordRecord(deps.informers.secrets, namespace, name);
  const candidates = [current, remembered?.lastPassword, record.password, record.previous];
  return { passwords: [...new Set(candidates.filter((candidate): candidate is string => !!candidate))], tls };
}

/** The pod a snapshot (or a KVBackup) reads from, by the store's snapshot.source, and how to reach it. */
export async function chooseSnapshotSource(deps: SnapshotSourceDeps, key: string, store: KVStore, spec: KVStoreSpec): Promise<{ plan: SnapshotPlan; endpoint?: EngineEndpoint }> {
  const { namespace, name } = store.metadata as { namespace: string; name: string };
  const credentials = await snapshotCredentials(deps, key, store, spec);
  const observed = observePods(name, deps.informers.pods.listIndexed(key) as never);
  const probed = await probePods(name, namespace, observed, credentials, deps.probeTimeoutMs);
  const plan = planSnapshot({ pods: probed.pods, master: store.status?.master, source: spec.snapshot?.source ?? 'replica' });
  if (plan.kind !== 'run') return { plan };
  const pod = probed.pods.find((candidate) => candidate.name === plan.pod)!;
  return { plan, endpoint: podEndpoint(name, namespace, pod, probed.passwordByPod.get(plan.pod), credentials.tls) };
}

export async function runStoreSnapshot(deps: SnapshotRunDeps, key: string, signal: AbortSignal): Promise<void> {
  const [namespace, name] = key.split('/') as [string, string];
  const store = deps.informers.stores.get(namespace, name) as KVStore | undefined;
  if (!store || store.metadata?.deletionTimestamp || !deps.isLeader()) return;
  const spec = applyKVStoreDefaults(store.spec, name);
  if (!spec.snapshot?.cron) return;
  // A store that never had a master holds no data yet: a run now would only report a failure while it is created.
  if (!store.status?.master) {
    deps.logger.debug({ store: key }, 'snapshot skipped: no master elected yet');
    return;
  }
  const now = deps.now ?? (() => new Date());
  const { plan, endpoint } = await chooseSnapshotSource(deps, key, store, spec);
  const destination = snapshotDestination(spec.snapshot.dir);
  let result: BgsaveResult | undefined;
  let upload: UploadSummary | undefined;
  if (plan.kind === 'run' && endpoint) {
    deps.logger.info({ store: key, pod: plan.pod, role: plan.role, fallback: plan.fallback, dir: spec.snapshot.dir }, 'snapshot started');
    if (destination.kind === 's3') {
      upload = await uploadStoreSnapshot({ namespace, name, spec, endpoint, readSecret: (secret) => readSecret(deps, namespace, secret), now: now(), signal, settings: deps.s3 });
      // Shutting down: the multipart upload was aborted, no object was made; the next leader's runs report from then on.
      if (!upload.ok && upload.reason === 'Aborted') return;
    } else {
      result = await runBgsave(endpoint, { engine: spec.engine, timeoutMs: deps.snapshotTimeoutMs, pollIntervalMs: deps.pollIntervalMs, signal });
      // Shutting down: the engine finishes the save by itself; the next leader's runs report from then on.
      if (!result.ok && result.reason === 'Aborted') return;
    }
  }
  const build = (current: KVStore) => snapshotOutcome({
    storeName: name, plan, result, upload, destination, generation: current.metadata?.generation, now: now(),
    previous: current.status?.conditions?.find((condition: Condition) => condition.type === SNAPSHOT_SUCCEEDED),
  });
  const outcome = build(store);
  deps.logger[outcome.record.result === 'Succeeded' ? 'info' : 'warn']({ store: key, pod: outcome.record.pod, reason: outcome.condition.reason, durationMs: outcome.record.durationMs }, `snapshot ${outcome.record.result.toLowerCase()}`);
  deps.metrics?.observe(key, outcome.record.result === 'Succeeded' ? 'succeeded' : 'failed', outcome.record.durationMs);
  await recordSnapshot({ client: deps.client, events: deps.events, logger: deps.logger, isLeader: deps.isLeader }, store, build);
}
