import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotDestination } from '../../shared/snapshot-destination.js';

describe('snapshotDestination', () => {
  it('the default dir is the pod; s3 and other paths are reported', () => {
    assert.deepEqual(snapshotDestination(undefined), { kind: 'pod' });
    assert.deepEqual(snapshotDestination('/data'), { kind: 'pod' });
    assert.deepEqual(snapshotDestination('/data/'), { kind: 'pod' });
    assert.deepEqual(snapshotDestination('s3://backups/cache'), { kind: 's3', dir: 's3://backups/cache' });
    assert.deepEqual(snapshotDestination('/backups'), { kind: 'unsupportedPath', dir: '/backups' });
  });
});
