/**
 * What one snapshot run means for the store: `status.lastSnapshot`, the `SnapshotSucceeded` condition and the Event.
 * Pure. Messages carry no duration (that is in lastSnapshot.durationMs), so repeated runs with the same outcome keep
 * the same condition message and count up one Event instead of creating new ones.
 */
import type { Condition, SnapshotRecord } from '../../shared/schema/kvstore.js';
import { DATA_MOUNT_PATH } from '../desired/constants.js';
import type { SnapshotDestination } from '../../shared/snapshot-destination.js';
import type { SnapshotPlan } from './plan-snapshot.js';
import type { BgsaveResult } from './run-bgsave.js';
import type { UploadResult } from '../backups/run-upload.js';
import { rfc3339 } from '../../shared/rfc3339.js';

export const SNAPSHOT_SUCCEEDED = 'SnapshotSucceeded';

export interface SnapshotOutcomeInput {
  storeName: string;
  plan: SnapshotPlan;
  /** Undefined when no pod was chosen, or for an s3:// dir (which streams instead of saving in the pod). */
  result?: BgsaveResult;
  /** The upload of an s3:// dir; a failure to resolve its settings or credentials is a failed upload too. */
  upload?: UploadSummary;
  destination: SnapshotDestination;
  generation?: number;
  previous?: Condition;
  now: Date;
}

/** An UploadResult, or a failure before any upload (bad dir, missing credentials). */
export type UploadSummary = UploadResult | { ok: false; durationMs: number; reason: 'InvalidS3Dir' | 'S3CredentialsMissing' | 'NotSupported'; error: string };

export interface SnapshotOutcome {
  record: SnapshotRecord;
  condition: Condition;
  event: { type: 'Normal' | 'Warning'; reason: 'SnapshotSucceeded' | 'SnapshotFailed' | 'ShutdownSnapshotSucceeded' | 'ShutdownSnapshotFailed'; message: string };
}

const HINTS: Record<string, string> = {
  EngineUnreachable: 'check that the pod runs and answers; the next scheduled run retries',
  BgsaveRefused: "see the pod's engine log for why the engine refused",
  BgsaveFailed: "check free space and permissions of the pod's data volume; the engine log says why",
  BgsaveTimedOut: "the save may still be running; check the pod's engine log and its disk",
  SaveUnconfirmed: "check the snapshot file in the pod's data directory",
  S3AccessDenied: 'fix the keys in the Secret named by spec.snapshot.s3.credentialsSecret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the bucket policy; the store\'s data is untouched and earlier snapshots are kept',
  S3BucketMissing: 'create the bucket named in spec.snapshot.dir or fix the name',
  S3CredentialsMissing: 'the store\'s data is untouched; the next scheduled run retries',
  InvalidS3Dir: 'fix spec.snapshot.dir',
  UploadFailed: 'no partial object was left; the next scheduled run retries',
};

function uploadVerdict(input: SnapshotOutcomeInput, pod: string, onMaster: string, dir: string): { ok: boolean; reason: string; message: string } {
  const upload = input.upload;
  if (!upload) return { ok: false, reason: 'NotRun', message: `no upload was run from ${pod}` };
  if (!upload.ok) return { ok: false, reason: upload.reason, message: `upload of ${pod}'s RDB${onMaster} to ${dir} failed: ${upload.error}; ${HINTS[upload.reason] ?? 'see the reconciler log'}` };
  return { ok: true, reason: input.plan.kind === 'run' && input.plan.fallback ? 'UploadedFromMaster' : 'Uploaded', message: `RDB of ${pod}${onMaster} streamed to ${dir} (the object is in status.lastSnapshot.url)` };
}

function verdict(input: SnapshotOutcomeInput): { ok: boolean; reason: string; message: string } {
  const { plan, result, destination, storeName } = input;
  if (plan.kind === 'none') {
    return { ok: false, reason: plan.reason, message: `${plan.message}; check the pods (kubectl get pods -l app.kubernetes.io/instance=${storeName}); the next scheduled run retries` };
  }
  const onMaster = plan.fallback ? ` on the master (${plan.fallback}; check the replicas)` : '';
  if (destination.kind === 's3') return uploadVerdict(input, plan.pod, onMaster, destination.dir);
  if (!result) return { ok: false, reason: 'NotRun', message: `no save was run on ${plan.pod}` };
  if (!result.ok) {
    return { ok: false, reason: result.reason, message: `BGSAVE on ${plan.pod}${onMaster} failed: ${result.error}; ${HINTS[result.reason] ?? 'see the pod\'s engine log'}` };
  }
  if (destination.kind === 'unsupportedPath') {
    return {
      ok: false,
      reason: 'SnapshotDirNotSupported',
      message: `BGSAVE on ${plan.pod}${onMaster} succeeded, but spec.snapshot.dir ${destination.dir} is not honoured: the engine always saves to ${DATA_MOUNT_PATH}, where the file is; set spec.snapshot.dir to ${DATA_MOUNT_PATH} or remove it`,
    };
  }
  return {
    ok: true,
    reason: plan.fallback ? 'SavedOnMaster' : 'Saved',
    message: `BGSAVE on ${plan.pod}${onMaster} succeeded; the RDB file is in ${DATA_MOUNT_PATH} on that pod's volume`,
  };
}

export function snapshotOutcome(input: SnapshotOutcomeInput): SnapshotOutcome {
  const { ok, reason, message } = verdict(input);
  const status: Condition['status'] = ok ? 'True' : 'False';
  const condition: Condition = {
    type: SNAPSHOT_SUCCEEDED,
    status,
    reason,
    message,
    lastTransitionTime: input.previous?.status === status && input.previous.lastTransitionTime ? input.previous.lastTransitionTime : rfc3339(input.now),
  };
  if (input.generation !== undefined) condition.observedGeneration = input.generation;
  // The record says whether the snapshot is where the spec asked for it: a save kept in the pod because spec.snapshot.dir
  // names another path is a Failed snapshot, even though BGSAVE itself succeeded.
  const record: SnapshotRecord = {
    time: rfc3339(input.now),
    pod: input.plan.kind === 'run' ? input.plan.pod : '',
    result: ok ? 'Succeeded' : 'Failed',
    durationMs: Math.max(0, Math.round(input.upload?.durationMs ?? input.result?.durationMs ?? 0)),
  };
  if (input.upload?.ok) {
    record.url = input.upload.url;
    record.sizeBytes = input.upload.sizeBytes;
  }
  return {
    record,
    condition,
    event: ok
      ? { type: 'Normal', reason: 'SnapshotSucceeded', message }
      : { type: 'Warning', reason: 'SnapshotFailed', message: `${reason}: ${message}` },
  };
}
