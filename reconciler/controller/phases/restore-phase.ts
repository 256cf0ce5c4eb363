/**
 * The restore phase (between observe and topology): a new store with `spec.restore` gets its data from S3 into its
 * first pod before any master is elected (plan-restore.ts says when). The source is a succeeded KVBackup in the
 * namespace or an s3:// URL; S3 settings come from the backup, else the store's snapshot.s3, else the backed-up
 * store's. The outcome is written to status.restore with an Event; a failure is retried every RESTORE_RETRY_MS
 * while the store stays without a master (fixing the credentials or the URL is enough).
 */
import { networkInterfaces } from 'node:os';
import type { KVBackup } from '../../../shared/schema/kvbackup.js';
import type { KVStore, RestoreRecord, S3Settings } from '../../../shared/schema/kvstore.js';
import { rfc3339 } from '../../../shared/rfc3339.js';
import { paths } from '../../../kube/paths.js';
import { resolveS3Access } from '../../backups/s3-access.js';
import { restoreRdb } from '../../backups/restore-rdb.js';
import { classifyUploadError } from '../../backups/run-upload.js';
import { readSecret } from '../../snapshots/run-store-snapshot.js';
import type { ControllerContext } from '../context.js';
import { podEndpoint } from '../engine-access.js';
import type { EngineAuth } from '../engine-actions.js';
import type { ObservedPod } from '../observed.js';
import { planRestore } from '../plan-restore.js';
import type { ReconcileTarget } from './resolve-phase.js';

export const RESTORE_RETRY_MS = 10_000;
const RESTORE_WAIT_MS = 1000;

export type RestoreOutcome = { blocked: false; restored: boolean } | { blocked: true; waiting: string; requeueAfterMs: number };

/** The operator's address as pods dial it: the pod IP (POD_IP from the downward API, else the first non-loopback IPv4). */
export function defaultFeedHost(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.POD_IP) return environment.POD_IP;
  for (const addresses of Object.values(networkInterfaces())) {
    const address = addresses?.find((candidate) => candidate.family === 'IPv4' && !candidate.internal);
    if (address) return address.address;
  }
  return '127.0.0.1';
}

interface RestoreSource { url: string; urlField: string; s3: S3Settings | undefined; s3Field: string }

/** Where the data comes from, or why it cannot be read yet. */
function restoreSource(context: ControllerContext, target: ReconcileTarget): RestoreSource | { waiting: string } {
  const { spec, namespace } = target.resolved;
  const restore = spec.restore!;
  if (restore.url) return { url: restore.url, urlField: 'spec.restore.url', s3: spec.snapshot?.s3, s3Field: 'spec.snapshot.s3' };
  const backup = context.backups?.get(namespace, restore.backup ?? '') as KVBackup | undefined;
  if (!backup) return { waiting: `restore: KVBackup ${restore.backup} not found in ${namespace}` };
  if (backup.status?.phase !== 'Succeeded' || !backup.status.url) return { waiting: `restore: KVBackup ${restore.backup} is ${backup.status?.phase ?? 'Pending'}, not Succeeded` };
  const source = context.informers.stores.get(namespace, backup.spec.store) as KVStore | undefined;
  const s3 = backup.spec.s3 ?? spec.snapshot?.s3 ?? source?.spec?.snapshot?.s3;
  const s3Field = backup.spec.s3 ? `KVBackup ${backup.metadata?.name} spec.s3` : spec.snapshot?.s3 ? 'spec.snapshot.s3' : `KVStore ${backup.spec.store} spec.snapshot.s3`;
  return { url: backup.status.url, urlField: `KVBackup ${backup.metadata?.name} status.url`, s3, s3Field };
}

async function recordRestore(context: ControllerContext, target: ReconcileTarget, record: RestoreRecord): Promise<void> {
  const { namespace, name } = target.resolved;
  await context.client.patch(`${paths.kvstore(namespace, name)}/status`, { status: { restore: record } });
  target.store.status = { ...target.store.status, restore: record };
  const ok = record.result === 'Succeeded';
  await context.events.record(target.store, {
    type: ok ? 'Normal' : 'Warning', reason: ok ? 'Restored' : 'RestoreFailed',
    message: ok ? `${record.sizeBytes} bytes from ${record.url} loaded into ${name}-0 before any write` : `${record.url}: ${record.message}`,
  });
}

export async function restorePhase(context: ControllerContext, target: ReconcileTarget, input: { pods: ObservedPod[]; auth: EngineAuth; signal: AbortSignal }): Promise<RestoreOutcome> {
  const { spec, namespace, name } = target.resolved;
  const decision = planRestore({ spec, status: target.store.status, storeName: name, pods: input.pods });
  if (decision.kind === 'none') return { blocked: false, restored: false };
  const url = spec.restore?.url ?? `KVBackup ${spec.restore?.backup}`;
  if (decision.kind === 'unsupported') {
    await recordRestore(context, target, { url, result: 'Failed', time: rfc3339(), message: decision.message });
    return { blocked: false, restored: false };
  }
  if (decision.kind === 'wait') return { blocked: true, waiting: decision.message, requeueAfterMs: RESTORE_WAIT_MS };
  const source = restoreSource(context, target);
  if ('waiting' in source) return { blocked: true, waiting: source.waiting, requeueAfterMs: RESTORE_WAIT_MS * 5 };
  const failed = async (message: string): Promise<RestoreOutcome> => {
    await recordRestore(context, target, { url: source.url, result: 'Failed', time: rfc3339(), message: `${message}; retried every ${RESTORE_RETRY_MS / 1000} s, the store takes no writes until then` });
    return { blocked: true, waiting: `restore from ${source.url} failed: ${message}`, requeueAfterMs: RESTORE_RETRY_MS };
  };
  const access = await resolveS3Access({ ...source, readSecret: (secret) => readSecret(context, namespace, secret), environment: context.restore?.environment });
  if (!access.ok) return failed(`${access.reason}: ${access.message}`);
  const pod = decision.pod;
  // A TLS store's engine replicates over TLS and verifies its master with the CA that issued its certificates (the
  // operator's, or with a client CA the bundle that holds it): the operator's own certificate serves the feed.
  const feedTls = spec.tls?.enabled ? await context.loadClientCertificate?.() : undefined;
  if (spec.tls?.enabled && !feedTls) return failed('no operator certificate to serve the restore over TLS');
  const endpoint = podEndpoint(name, namespace, pod, input.auth.passwordByPod.get(pod.name) ?? input.auth.password, input.auth.tls);
  context.logger.info({ store: target.key, pod: pod.name, url: source.url }, 'restore started');
  try {
    const result = await restoreRdb({
      endpoint, client: access.access.client, bucket: access.access.location.bucket, key: access.access.location.prefix,
      feedHost: context.restore?.feedHost ?? defaultFeedHost(), feedTls, signal: input.signal,
    });
    context.logger.info({ store: target.key, pod: pod.name, url: source.url, ...result }, 'restore finished');
    await recordRestore(context, target, { url: source.url, result: 'Succeeded', time: rfc3339(), sizeBytes: result.sizeBytes });
    return { blocked: false, restored: true };
  } catch (error: unknown) {
    if (input.signal.aborted) throw error;
    const classified = classifyUploadError(error);
    context.logger.warn({ store: target.key, pod: pod.name, url: source.url, err: error }, 'restore failed');
    return failed(classified.reason === 'UploadFailed' ? classified.error : `${classified.reason}: ${classified.error}`);
  }
}
