import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KVStore, KVStoreSpec } from '../../../shared/schema/kvstore.js';
import { decideShutdownSnapshot, shutdownOutcome } from '../../../reconciler/snapshots/shutdown-snapshot.js';
import { snapshotOutcome } from '../../../reconciler/snapshots/snapshot-outcome.js';

const DELETED_AT = '2026-12-07T10:00:00Z';
const S3_SPEC: KVStoreSpec = { snapshot: { dir: 's3://backups/team', onShutdown: true } } as KVStoreSpec;

function deleted(status: KVStore['status']): KVStore {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cache', namespace: 'ns', deletionTimestamp: DELETED_AT }, spec: {}, status } as unknown as KVStore;
}

describe('the final snapshot of a deleted store', () => {
  it('runs for an s3:// dir with a master, once per deletion', () => {
    assert.deepEqual(decideShutdownSnapshot(deleted({ master: 'cache-0' } as KVStore['status']), S3_SPEC), { run: true });
    assert.equal(decideShutdownSnapshot(deleted({ master: 'cache-0' } as KVStore['status']), { snapshot: { dir: '/data' } } as KVStoreSpec).run, false);
    assert.equal(decideShutdownSnapshot(deleted({ master: 'cache-0' } as KVStore['status']), { snapshot: { dir: 's3://b', onShutdown: false } } as KVStoreSpec).run, false);
    assert.equal(decideShutdownSnapshot(deleted({} as KVStore['status']), S3_SPEC).run, false, 'never had a master: no data');
    const shutdownDone = { master: 'cache-0', lastSnapshot: { time: '2026-12-07T10:00:01Z', pod: 'cache-0', result: 'Succeeded', durationMs: 5, url: 's3://backups/team/ns/cache/20261207T100000500Z.shutdown.rdb' } };
    assert.equal(decideShutdownSnapshot(deleted(shutdownDone as KVStore['status']), S3_SPEC).run, false);
    const failedSince = { master: 'cache-0', lastSnapshot: { time: '2026-12-07T10:00:02Z', pod: 'cache-0', result: 'Failed', durationMs: 5 } };
    assert.equal(decideShutdownSnapshot(deleted(failedSince as KVStore['status']), S3_SPEC).run, false);
    // A scheduled upload that finished after the deletion does not stand in for the final one, nor does an earlier one.
    const scheduledSince = { master: 'cache-0', lastSnapshot: { ...shutdownDone.lastSnapshot, url: 's3://backups/team/ns/cache/20261207T095959000Z.rdb' } };
    assert.equal(decideShutdownSnapshot(deleted(scheduledSince as KVStore['status']), S3_SPEC).run, true);
    const shutdownBefore = { master: 'cache-0', lastSnapshot: { ...shutdownDone.lastSnapshot, time: '2026-12-07T09:00:00Z' } };
    assert.equal(decideShutdownSnapshot(deleted(shutdownBefore as KVStore['status']), S3_SPEC).run, true);
  });

  it('its Event says the deletion went on, and what is left of the data, when the upload failed', () => {
    const base = (ok: boolean) => snapshotOutcome({
      storeName: 'cache', plan: { kind: 'run', pod: 'cache-0', role: 'master' }, destination: { kind: 's3', dir: 's3://backups/team' }, now: new Date(DELETED_AT),
      upload: ok
        ? { ok: true, durationMs: 3, url: 's3://backups/team/ns/cache/x.shutdown.rdb', sizeBytes: 10, sha256: 'h', pruned: [] }
        : { ok: false, durationMs: 3, reason: 'S3AccessDenied', error: 'S3 refused the credentials (InvalidAccessKeyId)' },
    });
    const good = shutdownOutcome(base(true), 300_000);
    assert.equal(good.event.type, 'Normal');
    assert.equal(good.event.reason, 'ShutdownSnapshotSucceeded');
    assert.equal(good.record.url, 's3://backups/team/ns/cache/x.shutdown.rdb');
    assert.match(good.event.message, /the RDB of cache-0 is at s3:\/\/backups\/team\/ns\/cache\/x\.shutdown\.rdb/);
    const bad = shutdownOutcome(base(false), 300_000);
    assert.equal(bad.event.type, 'Warning');
    assert.equal(bad.event.reason, 'ShutdownSnapshotFailed');
    assert.match(bad.event.message, /S3AccessDenied/);
    assert.match(bad.event.message, /credentialsSecret/);
    assert.match(bad.event.message, /deletion went on after at most 300 s/);
    assert.match(bad.event.message, /keepAfterDeletion/);
  });
});
