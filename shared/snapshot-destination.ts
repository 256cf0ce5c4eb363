/**
 * Where a store's snapshot files end up, from `spec.snapshot.dir`. The engine config always renders `dir /data` (the
 * data volume; `dir` is operator-owned), so of paths only that one is honoured; `s3://` dirs are uploads (the
 * reconciler streams the RDB there). The webhook warns about another path at admission and the reconciler reports it
 * on every run, from this one rule.
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
