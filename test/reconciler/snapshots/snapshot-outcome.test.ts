import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotOutcome } from '../../../reconciler/snapshots/snapshot-outcome.js';
import { snapshotStatusPatch } from '../../../reconciler/snapshots/record-snapshot.js';

const now = new Date('2026-01-02T03:04:05.678Z');
const run = { kind: 'run', pod: 'cache-1', role: 'replica' } as const;

describe('snapshotOutcome', () => {
  it('a save in the pod: Succeeded, condition True, a Normal Event', () => {
    const outcome = snapshotOutcome({ storeName: 'cache', plan: run, result: { ok: true, durationMs: 42, reply: 'started' }, destination: { kind: 'pod' }, generation: 3, now });
    assert.deepEqual(outcome.record, { time: '2026-01-02T03:04:05Z', pod: 'cache-1', result: 'Succeeded', durationMs: 42 });
    assert.equal(outcome.condition.status, 'True');
    assert.equal(outcome.condition.reason, 'Saved');
    assert.equal(outcome.condition.observedGeneration, 3);
    assert.match(outcome.condition.message, /cache-1/);
    assert.equal(outcome.event.reason, 'SnapshotSucceeded');
    assert.equal(outcome.event.type, 'Normal');
  });

  it('a master fallback is named in the message', () => {
    const outcome = snapshotOutcome({ storeName: 'cache', plan: { kind: 'run', pod: 'cache-0', role: 'master', fallback: 'no ready replica with its master link up' }, result: { ok: true, durationMs: 1, reply: 'started' }, destination: { kind: 'pod' }, now });
    assert.equal(outcome.condition.reason, 'SavedOnMaster');
    assert.match(outcome.condition.message, /on the master \(no ready replica/);
  });

  it('s3: an upload records its object and size; a refusal names the credentials and says nothing was lost', () => {
    const destination = { kind: 's3', dir: 's3://b/p' } as const;
    const uploaded = snapshotOutcome({ storeName: 'cache', plan: run, upload: { ok: true, durationMs: 70, url: 's3://b/p/ns/cache/x.rdb', sizeBytes: 1234, sha256: 'ab', pruned: [] }, destination, now });
    assert.equal(uploaded.condition.status, 'True');
    assert.equal(uploaded.condition.reason, 'Uploaded');
    assert.deepEqual(uploaded.record, { time: '2026-01-02T03:04:05Z', pod: 'cache-1', result: 'Succeeded', durationMs: 70, url: 's3://b/p/ns/cache/x.rdb', sizeBytes: 1234 });
    const denied = snapshotOutcome({ storeName: 'cache', plan: run, upload: { ok: false, durationMs: 3, reason: 'S3AccessDenied', error: 'S3 refused the credentials (SignatureDoesNotMatch)' }, destination, now });
    assert.equal(denied.condition.status, 'False');
    assert.equal(denied.condition.reason, 'S3AccessDenied');
    assert.match(denied.condition.message, /upload of cache-1's RDB to s3:\/\/b\/p failed: .*credentialsSecret.*data is untouched/);
    assert.equal(denied.record.result, 'Failed');
    assert.equal(denied.record.url, undefined);
    assert.equal(denied.event.reason, 'SnapshotFailed');
    const missing = snapshotOutcome({ storeName: 'cache', plan: run, upload: { ok: false, durationMs: 0, reason: 'S3CredentialsMissing', error: 'spec.snapshot.s3.credentialsSecret.name: Secret k not found' }, destination, now });
    assert.match(missing.condition.message, /spec\.snapshot\.s3\.credentialsSecret\.name: Secret k not found/);
  });

  it('another path: SnapshotDirNotSupported', () => {
    const outcome = snapshotOutcome({ storeName: 'cache', plan: run, result: { ok: true, durationMs: 5, reply: 'started' }, destination: { kind: 'unsupportedPath', dir: '/backups' }, now });
    assert.equal(outcome.condition.reason, 'SnapshotDirNotSupported');
    assert.match(outcome.condition.message, /spec\.snapshot\.dir \/backups is not honoured/);
  });

  it('a failed save and no pod: False with the reason and what to do; transition time kept while False', () => {
    const failed = snapshotOutcome({ storeName: 'cache', plan: run, result: { ok: false, durationMs: 9, reason: 'BgsaveFailed', error: 'rdb_last_bgsave_status is err' }, destination: { kind: 'pod' }, now });
    assert.equal(failed.condition.reason, 'BgsaveFailed');
    assert.match(failed.condition.message, /BGSAVE on cache-1 failed: rdb_last_bgsave_status is err; check free space/);
    const previous = { ...failed.condition, lastTransitionTime: '2025-01-01T00:00:00Z' };
    const none = snapshotOutcome({ storeName: 'cache', plan: { kind: 'none', reason: 'NoPodAvailable', message: 'no master to save on' }, destination: { kind: 'pod' }, previous, now });
    assert.equal(none.condition.reason, 'NoPodAvailable');
    assert.equal(none.condition.lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(none.record.pod, '');
    assert.match(none.condition.message, /kubectl get pods -l app.kubernetes.io\/instance=cache/);
  });
});

describe('snapshotStatusPatch', () => {
  it('replaces only its condition (guarded by a test op) and sets lastSnapshot', () => {
    const condition = { type: 'SnapshotSucceeded', status: 'True', reason: 'Saved', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' } as const;
    const record = { time: '2026-01-01T00:00:00Z', pod: 'cache-1', result: 'Succeeded', durationMs: 1 } as const;
    const store = { metadata: { resourceVersion: '7' }, status: { conditions: [{ ...condition, type: 'Available' as const }, { ...condition, status: 'False' as const }] } };
    assert.deepEqual(snapshotStatusPatch(store, condition, record), [
      { op: 'test', path: '/status/conditions/1/type', value: 'SnapshotSucceeded' },
      { op: 'replace', path: '/status/conditions/1', value: condition },
      { op: 'add', path: '/status/lastSnapshot', value: record },
    ]);
    const fresh = snapshotStatusPatch({ metadata: { resourceVersion: '7' }, status: { conditions: [] } }, condition, record);
    assert.deepEqual(fresh[0], { op: 'test', path: '/metadata/resourceVersion', value: '7' });
  });
});
