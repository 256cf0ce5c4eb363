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
import { rfc3339 } from '../../shared/rfc3339.js';

export const SNAPSHOT_SUCCEEDED = 'SnapshotSucceeded';

export interface SnapshotOutcomeInput {
  storeName: string;
  plan: SnapshotPlan;
  /** Undefined when no pod was chosen. */
  result?: BgsaveResult;
  destination: SnapshotDestination;
  generation?: number;
  previous?: Condition;
  now: Date;
}

export interface SnapshotOutcome {
  record: SnapshotRecord;
  condition: Condition;
  event: { type: 'Normal' | 'Warning'; reason: 'SnapshotSucceeded' | 'SnapshotFailed'; message: string };
}

const HINTS: Record<string, string> = {
  EngineUnreachable: 'check that the pod runs and answers; the next scheduled run retries',
  BgsaveRefused: "see the pod's engine log for why the engine refused",
  BgsaveFailed: "check free space and permissions of the pod's data volume; the engine log says why",
  BgsaveTimedOut: "the save may still be running; check the pod's engine log and its disk",
  SaveUnconfirmed: "check the snapshot file in the pod's data directory",
};

function verdict(input: SnapshotOutcomeInput): { ok: boolean; reason: string; message: string } {
  const { plan, result, destination, storeName } = input;
  if (plan.kind === 'none') {
    return { ok: false, reason: plan.reason, message: `${plan.message}; check the pods (kubectl get pods -l app.kubernetes.io/instance=${storeName}); the next scheduled run retries` };
  }
  if (!result) return { ok: false, reason: 'NotRun', message: `no save was run on ${plan.pod}` };
  const onMaster = plan.fallback ? ` on the master (${plan.fallback}; check the replicas)` : '';
  if (!result.ok) {
    return { ok: false, reason: result.reason, message: `BGSAVE on ${plan.pod}${onMaster} failed: ${result.error}; ${HINTS[result.reason] ?? 'see the pod\'s engine log'}` };
  }
  if (destination.kind === 's3') {
    return {
      ok: false,
      reason: 'UploadNotImplemented',
      message: `BGSAVE on ${plan.pod}${onMaster} succeeded, but spec.snapshot.dir ${destination.dir}: uploads to S3 are not implemented yet; the RDB file stays in ${DATA_MOUNT_PATH} on ${plan.pod}, copy it out yourself`,
    };
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
  // The record says whether the snapshot is where the spec asked for it: a save kept in the pod because the s3 upload
  // does not exist is a Failed snapshot, even though BGSAVE itself succeeded.
  const record: SnapshotRecord = {
    time: rfc3339(input.now),
    pod: input.plan.kind === 'run' ? input.plan.pod : '',
    result: ok ? 'Succeeded' : 'Failed',
    durationMs: Math.max(0, Math.round(input.result?.durationMs ?? 0)),
  };
  return {
    record,
    condition,
    event: ok
      ? { type: 'Normal', reason: 'SnapshotSucceeded', message }
      : { type: 'Warning', reason: 'SnapshotFailed', message: `${reason}: ${message}` },
  };
}
