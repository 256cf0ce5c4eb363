import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupObjectKey, parseS3Url, scheduledSnapshots, snapshotObjectKey, snapshotsBeyondKeep, storeFolder } from '../../shared/s3-location.js';

describe('S3 locations', () => {
  it('parses s3 URLs and names what is wrong', () => {
    assert.deepEqual(parseS3Url('s3://backups'), { location: { bucket: 'backups', prefix: '' } });
    assert.deepEqual(parseS3Url('s3://backups/team/a/'), { location: { bucket: 'backups', prefix: 'team/a' } });
    assert.match((parseS3Url('/data') as { error: string }).error, /s3:\/\/bucket/);
    assert.match((parseS3Url('s3://Bad_Bucket/x') as { error: string }).error, /not a valid S3 bucket name/);
  });

  it('names objects so that key order is time order, under one folder per store', () => {
    const location = { bucket: 'b', prefix: 'p' };
    const earlier = snapshotObjectKey(location, 'ns', 'cache', new Date('2026-12-07T07:15:30.123Z'));
    const later = snapshotObjectKey(location, 'ns', 'cache', new Date('2026-12-07T07:15:30.124Z'));
    assert.equal(earlier, 'p/ns/cache/20261207T071530123Z.rdb');
    assert.ok(earlier < later);
    assert.equal(storeFolder({ bucket: 'b', prefix: '' }, 'ns', 'cache'), 'ns/cache/');
    assert.equal(backupObjectKey(location, 'ns', 'cache', 'before-upgrade', new Date('2026-12-07T07:15:30.123Z')), 'p/ns/cache/20261207T071530123Z-before-upgrade.rdb');
  });

  it('retention deletes the oldest scheduled snapshots only, never a backup or another store\'s object', () => {
    const folder = 'p/ns/cache/';
    const keys = [
      'p/ns/cache/20261207T071530003Z.rdb', 'p/ns/cache/20261207T071530001Z.rdb', 'p/ns/cache/20261207T071530002Z.rdb',
      'p/ns/cache/20261207T071530000Z-mine.rdb', 'p/ns/cache-two/20261207T071530000Z.rdb', 'p/ns/cache/notes.txt',
    ];
    assert.deepEqual(scheduledSnapshots(folder, keys), ['p/ns/cache/20261207T071530001Z.rdb', 'p/ns/cache/20261207T071530002Z.rdb', 'p/ns/cache/20261207T071530003Z.rdb']);
    assert.deepEqual(snapshotsBeyondKeep(folder, keys, 2), ['p/ns/cache/20261207T071530001Z.rdb']);
    assert.deepEqual(snapshotsBeyondKeep(folder, keys, 5), []);
    assert.deepEqual(snapshotsBeyondKeep(folder, keys, undefined), []);
  });

  it('a shutdown snapshot counts like a scheduled one; a KVBackup named "shutdown" does not', () => {
    const location = { bucket: 'b', prefix: 'p' };
    const shutdown = snapshotObjectKey(location, 'ns', 'cache', new Date('2026-12-07T07:15:30.004Z'), 'shutdown');
    assert.equal(shutdown, 'p/ns/cache/20261207T071530004Z.shutdown.rdb');
    const folder = storeFolder(location, 'ns', 'cache');
    const keys = [
      shutdown, 'p/ns/cache/20261207T071530001Z.rdb', 'p/ns/cache/20261207T071530002Z.rdb',
      backupObjectKey(location, 'ns', 'cache', 'shutdown', new Date('2026-12-07T07:15:30.000Z')),
    ];
    assert.deepEqual(scheduledSnapshots(folder, keys), ['p/ns/cache/20261207T071530001Z.rdb', 'p/ns/cache/20261207T071530002Z.rdb', shutdown]);
    assert.deepEqual(snapshotsBeyondKeep(folder, keys, 1), ['p/ns/cache/20261207T071530001Z.rdb', 'p/ns/cache/20261207T071530002Z.rdb']);
  });
});
