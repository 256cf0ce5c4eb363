/**
 * The on-shutdown save of a store whose `snapshot.dir` is s3://: when the KVStore is deleted, the finalizer
 * (controller/deletion.ts) calls this before it lets the store go, while the pods still run (garbage collection
 * takes them only once the store itself is gone). The master's RDB is streamed to `<dir>/<ns>/<store>/<time>.shutdown.rdb`
 * by the same path as a scheduled s3 snapshot, recorded in `status.lastSnapshot` and an Event. Bounded: after
 * `timeoutMs` or any failure the deletion goes on, with a Warning Event naming the error and what the user can do,
 * because a store the user deleted must not stay for ever on a broken bucket. The pods' own preStop save still runs
 * after this, into /data (kept on the PVCs when keepAfterDeletion is true).
 */
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { snapshotDestination } from '../../shared/snapshot-destination.js';
import { API_GROUP_VERSION } from '../../shared/api.js';
import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../kube/client.js';
import { paths } from '../../kube/paths.js';
import { KVSTORE_FINALIZER } from '../../shared/labels.js';
import type { StoreEventRecorder } from '../controller/events.js';
import { recordSnapshot } from './record-snapshot.js';
import { chooseSnapshotSource, readSecret, type SnapshotSourceDeps } from './run-store-snapshot.js';
import { SNAPSHOT_SUCCEEDED, snapshotOutcome, type SnapshotOutcome, type UploadSummary } from './snapshot-outcome.js';
import { uploadStoreSnapshot, type S3SnapshotSettings } from './upload-store-snapshot.js';

/** How long a deletion waits for the final upload by default. */
export const DEFAULT_SHUTDOWN_SNAPSHOT_TIMEOUT_MS = 5 * 60_000;

export interface ShutdownSnapshotDeps extends SnapshotSourceDeps {
  events: StoreEventRecorder;
  logger: Logger;
  isLeader: () => boolean;
  /** Bound on the whole final snapshot (default DEFAULT_SHUTDOWN_SNAPSHOT_TIMEOUT_MS). */
  timeoutMs?: number;
  s3?: S3SnapshotSettings;
  now?: () => Date;
}

/** Resolves (undefined) when `signal` fires. */
function whenAborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

export type ShutdownSnapshotDecision = { run: true } | { run: false; why: string };

/**
 * Whether a deleted store gets a final upload. Pure. Not when its snapshots do not go to S3 (the pods' preStop save
 * is its on-shutdown save), when `snapshot.onShutdown` is off, when it never had a master (no data), or when this
 * deletion's final snapshot is already recorded (a reconcile retried after it).
 */
export function decideShutdownSnapshot(store: KVStore, spec: KVStoreSpec): ShutdownSnapshotDecision {
  if (snapshotDestination(spec.snapshot?.dir).kind !== 's3') return { run: false, why: 'snapshot.dir is not s3://' };
  if (spec.snapshot?.onShutdown === false) return { run: false, why: 'snapshot.onShutdown is false' };
  if (!store.status?.master) return { run: false, why: 'no master was ever elected (no data)' };
  const deletedAt = new Date(store.metadata?.deletionTimestamp ?? 0).getTime();
  const last = store.status.lastSnapshot;
  // A scheduled upload that ended after the deletion is no final snapshot; a failed run since then is this one's.
  if (last && new Date(last.time).getTime() >= deletedAt && (last.url?.endsWith('.shutdown.rdb') || last.result === 'Failed')) {
    return { run: false, why: 'already run for this deletion' };
  }
  return { run: true };
}

/** The scheduled-snapshot outcome, with the Event saying that this was the deletion's save and that deletion goes on. Pure. */
export function shutdownOutcome(base: SnapshotOutcome, timeoutMs: number): SnapshotOutcome {
  const ok = base.record.result === 'Succeeded';
  const message = ok
    // The store and its status go next: the Event carries the object's URL.
    ? `store deleted after its final snapshot: the RDB of ${base.record.pod} is at ${base.record.url ?? '(no URL)'}`
    : `store deleted without its final snapshot (${base.event.message}); the deletion went on after at most ${Math.round(timeoutMs / 1000)} s. `
      + 'The data is in the last earlier snapshot in spec.snapshot.dir and, with persistence.keepAfterDeletion, on the PVCs (a new store of the same name uses them)';
  return { ...base, event: { type: ok ? 'Normal' : 'Warning', reason: ok ? 'ShutdownSnapshotSucceeded' : 'ShutdownSnapshotFailed', message } };
}

/**
 * Runs the final upload when decideShutdownSnapshot says so; true when it ran (the store's status changed). Throws
 * only when the reconciler itself is stopping (`signal`): the finalizer then stays and the next leader runs it.
 */
export async function runShutdownSnapshot(deps: ShutdownSnapshotDeps, cached: KVStore, spec: KVStoreSpec, signal: AbortSignal): Promise<boolean> {
  const { namespace, name } = cached.metadata as { namespace: string; name: string };
  const key = `${namespace}/${name}`;
  if (!decideShutdownSnapshot(cached, spec).run) return false;
  // The cache may lag: a reconcile queued by this deletion's own status write must not upload again after it.
  const store = await deps.client.getOptional<KVStore>(paths.kvstore(namespace, name));
  if (!store?.metadata?.finalizers?.includes(KVSTORE_FINALIZER)) return false;
  const decision = decideShutdownSnapshot(store, spec);
  if (!decision.run) {
    deps.logger.debug({ store: key, why: decision.why }, 'no final snapshot on deletion');
    return false;
  }
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? DEFAULT_SHUTDOWN_SNAPSHOT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const bounded = AbortSignal.any([signal, timeout]);
  // The master holds every acknowledged write; a replica only when no master answers.
  let source = await chooseSnapshotSource(deps, key, store, { ...spec, snapshot: { ...spec.snapshot, source: 'master' } });
  if (source.plan.kind !== 'run') source = await chooseSnapshotSource(deps, key, store, spec);
  const { plan, endpoint } = source;
  let upload: UploadSummary | undefined;
  if (plan.kind === 'run' && endpoint) {
    deps.logger.info({ store: key, pod: plan.pod, dir: spec.snapshot?.dir, timeoutMs }, 'final snapshot before deletion started');
    const uploading = uploadStoreSnapshot({
      namespace, name, spec, endpoint, readSecret: (secret) => readSecret(deps, namespace, secret), now: now(), signal: bounded, settings: deps.s3, kind: 'shutdown',
    });
    // S3 requests do not all heed the signal (one may wait for its own 60 s timeout and retries): stop waiting at the
    // bound. The abandoned upload ends by itself and can make no object (its stream is destroyed, completion refused).
    uploading.catch(() => undefined);
    upload = await Promise.race([uploading, whenAborted(bounded)]);
    signal.throwIfAborted();
    if (!upload || (!upload.ok && upload.reason === 'Aborted')) {
      upload = { ok: false, durationMs: timeoutMs, reason: 'UploadFailed', error: `not finished within ${Math.round(timeoutMs / 1000)} s (the deletion's bound); no object was made` };
    }
  }
  const destination = snapshotDestination(spec.snapshot?.dir);
  const build = (current: KVStore) => shutdownOutcome(snapshotOutcome({
    storeName: name, plan, upload, destination, generation: current.metadata?.generation, now: now(),
    previous: current.status?.conditions?.find((condition) => condition.type === SNAPSHOT_SUCCEEDED),
  }), timeoutMs);
  const outcome = build(store);
  deps.logger[outcome.record.result === 'Succeeded' ? 'info' : 'warn']({ store: key, pod: outcome.record.pod, url: outcome.record.url, reason: outcome.condition.reason }, `final snapshot before deletion ${outcome.record.result.toLowerCase()}`);
  const recorded = await recordSnapshot({ client: deps.client, events: deps.events, logger: deps.logger, isLeader: deps.isLeader, deleting: true }, store, build);
  // The Event matters more than the status of a store about to go: say it even when the status write failed.
  if (!recorded) await deps.events.record({ apiVersion: API_GROUP_VERSION, kind: 'KVStore', metadata: store.metadata } as KubeObject, outcome.event);
  return true;
}
