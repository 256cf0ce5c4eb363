/**
 * What a KVBackup's status and Events become at each step, as pure functions: waiting for its store (Pending),
 * started (Running), and the outcome of the one upload (Succeeded or Failed, with the `Complete` condition). A backup
 * runs once: a finished one is never run again, and one found Running by a new leader was cut off (its multipart
 * upload never completed, so no object exists under its key) and is Failed as Interrupted.
 */
import type { Condition } from '../../shared/schema/kvstore.js';
import type { KVBackup, KVBackupStatus } from '../../shared/schema/kvbackup.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import type { UploadSummary } from '../snapshots/snapshot-outcome.js';

export const BACKUP_COMPLETE = 'Complete';

export type BackupEventReason = 'BackupPending' | 'BackupStarted' | 'BackupSucceeded' | 'BackupFailed';

export interface BackupEvent {
  type: 'Normal' | 'Warning';
  reason: BackupEventReason;
  message: string;
}

export interface BackupStep {
  status: KVBackupStatus;
  event?: BackupEvent;
}

function complete(status: 'True' | 'False', reason: string, message: string, now: Date, generation?: number): Condition {
  const condition: Condition = { type: BACKUP_COMPLETE, status, reason, message, lastTransitionTime: rfc3339(now) };
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

export function isFinished(backup: Pick<KVBackup, 'status'>): boolean {
  return backup.status?.phase === 'Succeeded' || backup.status?.phase === 'Failed';
}

/** Waiting for the store (absent, no master yet, no pod to read from): Pending, one Event per distinct reason. */
export function backupPending(backup: Pick<KVBackup, 'status' | 'metadata'>, reason: string, message: string, now: Date): BackupStep | undefined {
  const previous = backup.status?.conditions?.find((condition) => condition.type === BACKUP_COMPLETE);
  if (backup.status?.phase === 'Pending' && previous?.reason === reason && previous.message === message) return undefined;
  return {
    status: { phase: 'Pending', conditions: [complete('False', reason, message, now, backup.metadata?.generation)] },
    event: { type: 'Normal', reason: 'BackupPending', message: `${reason}: ${message}` },
  };
}

export function backupStarted(backup: Pick<KVBackup, 'metadata'>, pod: string, dir: string, now: Date): BackupStep {
  return {
    status: { phase: 'Running', pod, startTime: rfc3339(now), conditions: [complete('False', 'Running', `streaming the RDB of ${pod} to ${dir}`, now, backup.metadata?.generation)] },
    event: { type: 'Normal', reason: 'BackupStarted', message: `streaming the RDB of ${pod} to ${dir}` },
  };
}

/** The end of the one run: the upload's result, or a failure before any byte was read (settings, credentials). */
export function backupFinished(backup: Pick<KVBackup, 'metadata' | 'status'>, pod: string | undefined, result: UploadSummary, now: Date): BackupStep {
  const generation = backup.metadata?.generation;
  const base: KVBackupStatus = { durationMs: Math.max(0, Math.round(result.durationMs)), completionTime: rfc3339(now) };
  if (pod) base.pod = pod;
  if (backup.status?.startTime) base.startTime = backup.status.startTime;
  if (result.ok) {
    const message = `${result.sizeBytes} bytes from ${pod ?? 'the store'} uploaded to ${result.url}`;
    return {
      status: { ...base, phase: 'Succeeded', url: result.url, sizeBytes: result.sizeBytes, sha256: result.sha256, conditions: [complete('True', 'Uploaded', message, now, generation)] },
      event: { type: 'Normal', reason: 'BackupSucceeded', message },
    };
  }
  const message = `${result.error}; the store's data is untouched and no object was left; create another KVBackup to retry`;
  return {
    status: { ...base, phase: 'Failed', conditions: [complete('False', result.reason, message, now, generation)] },
    event: { type: 'Warning', reason: 'BackupFailed', message: `${result.reason}: ${message}` },
  };
}

/** A backup found Running when no run of it is in flight here: the previous leader stopped during the upload. */
export function backupInterrupted(backup: Pick<KVBackup, 'metadata' | 'status'>, now: Date): BackupStep {
  return backupFinished(backup, backup.status?.pod, {
    ok: false, durationMs: 0, reason: 'Aborted',
    error: 'the reconciler running this backup stopped before the upload completed (an incomplete multipart upload is never an object)',
  }, now);
}
