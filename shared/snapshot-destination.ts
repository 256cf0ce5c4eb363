/**
 * Where a store's snapshot files end up, from `spec.snapshot.dir`. The engine config always renders `dir /data` (the
 * data volume; `dir` is operator-owned), so only that path is honoured; uploads to `s3://` are not implemented. The
 * webhook warns about the other two at admission and the reconciler reports them on every run, from this one rule.
 */
import { DEFAULT_SNAPSHOT_DIR } from './defaults.js';

export type SnapshotDestination =
  | { kind: 'pod' }
  | { kind: 's3'; dir: string }
  | { kind: 'unsupportedPath'; dir: string };

export function snapshotDestination(dir: string | undefined): SnapshotDestination {
  if (dir === undefined || dir.replace(/\/+$/, '') === DEFAULT_SNAPSHOT_DIR) return { kind: 'pod' };
  if (dir.startsWith('s3://')) return { kind: 's3', dir };
  return { kind: 'unsupportedPath', dir };
}
