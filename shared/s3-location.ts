/**
 * Where snapshots and backups live in S3, as pure rules both processes share: the webhook checks the URLs, the
 * reconciler names, lists and prunes the objects. Every object of a store sits under `<prefix>/<namespace>/<store>/`;
 * a scheduled snapshot is `<UTC time>.rdb`, the final one taken when the store is deleted `<UTC time>.shutdown.rdb`
 * (a dot, which no KVBackup's key has right after the time), a KVBackup `<UTC time>-<backup>.rdb`. Times are fixed-width
 * (`20261207T071530123Z`), so key order is time order and "latest" is the greatest key. Only completed multipart
 * uploads become objects, so a listed key is always a whole RDB.
 */

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slashes; may be empty. */
  prefix: string;
}

/** `s3://bucket[/prefix]`; undefined when it is not one (the error names what is wrong). */
export function parseS3Url(url: string): { location: S3Location } | { error: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match) return { error: 'must be s3://bucket or s3://bucket/prefix' };
  const bucket = match[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return { error: `"${bucket}" is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')` };
  return { location: { bucket, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') } };
}

export function toS3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The folder of one store's objects, ending in `/`. */
export function storeFolder(location: S3Location, namespace: string, store: string): string {
  return `${location.prefix ? `${location.prefix}/` : ''}${namespace}/${store}/`;
}

export function objectTime(time: Date): string {
  return time.toISOString().replace(/[-:.]/g, '');
}

/** `kind: 'shutdown'` names the final snapshot taken when the store is deleted; retention counts it like the scheduled ones. */
export function snapshotObjectKey(location: S3Location, namespace: string, store: string, time: Date, kind: 'scheduled' | 'shutdown' = 'scheduled'): string {
  return `${storeFolder(location, namespace, store)}${objectTime(time)}${kind === 'shutdown' ? '.shutdown' : ''}.rdb`;
}

export function backupObjectKey(location: S3Location, namespace: string, store: string, backup: string, time: Date): string {
  return `${storeFolder(location, namespace, store)}${objectTime(time)}-${backup}.rdb`;
}

// A KVBackup's key has `-` right after the time, so a backup named `shutdown` is never taken for a snapshot.
const SNAPSHOT_NAME = /^\d{8}T\d{9}Z(\.shutdown)?\.rdb$/;

/** The scheduled and shutdown snapshots among `keys` (full keys under `folder`), oldest first; KVBackups' objects are never among them. */
export function scheduledSnapshots(folder: string, keys: readonly string[]): string[] {
  return keys.filter((key) => key.startsWith(folder) && SNAPSHOT_NAME.test(key.slice(folder.length))).sort();
}

/** What retention deletes so that `keep` scheduled snapshots remain: the oldest. KVBackups' objects are their owners'. */
export function snapshotsBeyondKeep(folder: string, keys: readonly string[], keep: number | undefined): string[] {
  if (keep === undefined) return [];
  const snapshots = scheduledSnapshots(folder, keys);
  return snapshots.slice(0, Math.max(0, snapshots.length - keep));
}
