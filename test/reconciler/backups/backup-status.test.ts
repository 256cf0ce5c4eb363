import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupFinished, backupInterrupted, backupPending, backupStarted, isFinished } from '../../../reconciler/backups/backup-status.js';

const now = new Date('2026-12-07T08:00:00.000Z');
const backup = { metadata: { name: 'nightly', generation: 1 }, status: undefined };

describe('KVBackup status steps', () => {
  it('Pending once per reason (no repeated writes or Events while it waits)', () => {
    const first = backupPending(backup, 'StoreNotFound', 'KVStore x does not exist in ns', now)!;
    assert.equal(first.status.phase, 'Pending');
    assert.equal(first.event?.reason, 'BackupPending');
    assert.equal(backupPending({ ...backup, status: first.status }, 'StoreNotFound', 'KVStore x does not exist in ns', now), undefined);
    assert.ok(backupPending({ ...backup, status: first.status }, 'StoreNotReady', 'no master yet', now));
  });

  it('Running names the pod; Succeeded records url, size, duration, sha256 and keeps the start time', () => {
    const started = backupStarted(backup, 'cache-1', 's3://b/p', now);
    assert.equal(started.status.phase, 'Running');
    assert.equal(started.status.pod, 'cache-1');
    const done = backupFinished({ ...backup, status: started.status }, 'cache-1', { ok: true, durationMs: 120.4, url: 's3://b/p/ns/cache/x-nightly.rdb', sizeBytes: 99, sha256: 'ab', pruned: [] }, now);
    assert.deepEqual({ ...done.status, conditions: undefined }, {
      phase: 'Succeeded', url: 's3://b/p/ns/cache/x-nightly.rdb', sizeBytes: 99, sha256: 'ab', durationMs: 120, pod: 'cache-1',
      startTime: started.status.startTime, completionTime: '2026-12-07T08:00:00Z', conditions: undefined,
    });
    assert.equal(done.status.conditions?.[0]?.status, 'True');
    assert.equal(done.event?.type, 'Normal');
    assert.ok(isFinished(done));
  });

  it('Failed carries the reason, says nothing was left; an interrupted run fails as Aborted', () => {
    const failed = backupFinished(backup, undefined, { ok: false, durationMs: 0, reason: 'S3CredentialsMissing', error: 'spec.s3.credentialsSecret.name: Secret k not found' }, now);
    assert.equal(failed.status.phase, 'Failed');
    assert.equal(failed.status.conditions?.[0]?.reason, 'S3CredentialsMissing');
    assert.match(failed.status.conditions?.[0]?.message ?? '', /Secret k not found; the store's data is untouched and no object was left/);
    assert.equal(failed.event?.type, 'Warning');
    const interrupted = backupInterrupted({ ...backup, status: { phase: 'Running', pod: 'cache-1' } }, now);
    assert.equal(interrupted.status.phase, 'Failed');
    assert.equal(interrupted.status.pod, 'cache-1');
    assert.equal(interrupted.status.conditions?.[0]?.reason, 'Aborted');
  });
});
