/**
 * Admission rules for the S3 fields: spec.snapshot.s3 / keep (snapshots to an s3:// dir) and spec.restore (a new
 * store's data from a KVBackup or an s3:// object). Each error names its field. A restore is a create-time choice:
 * set on an existing store it would replace the data the store holds, so an UPDATE that adds or changes it is refused.
 */
import { parseS3Url } from '../shared/s3-location.js';
import type { KVStoreSpec } from '../shared/schema/kvstore.js';
import type { FieldError } from '../shared/validators.js';

const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const REGION = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

function endpointProblem(endpoint: string): string | undefined {
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
    if (url.search || url.hash) return 'must not carry a query or a fragment';
    return undefined;
  } catch {
    return 'is not a valid URL (e.g. https://s3.eu-west-1.amazonaws.com or http://minio.storage:9000)';
  }
}

/** Rules on single fields, safe on a partial spec (a KVPolicy's defaults), under `prefix`. */
export function checkS3FieldRules(spec: KVStoreSpec, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const s3 = spec.snapshot?.s3;
  if (s3?.endpoint !== undefined) {
    const problem = endpointProblem(s3.endpoint);
    if (problem) errors.push({ field: `${prefix}.snapshot.s3.endpoint`, message: problem });
  }
  if (s3?.region !== undefined && !REGION.test(s3.region)) errors.push({ field: `${prefix}.snapshot.s3.region`, message: 'must be a region name such as us-east-1' });
  const secret = s3?.credentialsSecret?.name;
  if (secret !== undefined && (secret.length > 253 || !DNS_1123_SUBDOMAIN.test(secret))) {
    errors.push({ field: `${prefix}.snapshot.s3.credentialsSecret.name`, message: 'must be a Secret name (lowercase letters, digits, "-" and ".")' });
  }
  const restore = spec.restore;
  if (restore?.url !== undefined) {
    const parsed = parseS3Url(restore.url);
    if ('error' in parsed) errors.push({ field: `${prefix}.restore.url`, message: parsed.error });
    else if (!parsed.location.prefix || restore.url.endsWith('/')) errors.push({ field: `${prefix}.restore.url`, message: 'must name one object: s3://bucket/path/to/file.rdb' });
  }
  if (restore?.backup !== undefined && (restore.backup.length > 253 || !DNS_1123_SUBDOMAIN.test(restore.backup))) {
    errors.push({ field: `${prefix}.restore.backup`, message: 'must be the name of a KVBackup in the namespace' });
  }
  return errors;
}

/** Rules across fields, on the spec as it will run. */
export function checkS3CrossFieldRules(spec: KVStoreSpec): FieldError[] {
  const errors: FieldError[] = [];
  const toS3 = spec.snapshot?.dir?.startsWith('s3://') ?? false;
  if (spec.snapshot?.keep !== undefined && !toS3) {
    errors.push({ field: 'spec.snapshot.keep', message: 'applies to an s3:// spec.snapshot.dir only (snapshots in the pod are one file)' });
  }
  if (spec.snapshot?.s3 !== undefined && !toS3 && spec.restore?.url === undefined && spec.restore?.backup === undefined) {
    errors.push({ field: 'spec.snapshot.s3', message: 'is read for an s3:// spec.snapshot.dir or a spec.restore; set one or remove it' });
  }
  if (toS3 && spec.engine === 'dragonfly') {
    errors.push({ field: 'spec.snapshot.dir', message: 's3:// is not supported for dragonfly yet (Redwing streams RDBs over the Redis replication protocol); use /data' });
  }
  if (spec.restore !== undefined && spec.engine === 'dragonfly') {
    errors.push({ field: 'spec.restore', message: 'is not supported for dragonfly (Redwing restores over the Redis replication protocol)' });
  }
  return errors;
}

/** UPDATE: spec.restore may be removed, never added or changed (it would replace the data the store holds). */
export function checkRestoreTransition(oldSpec: KVStoreSpec, spec: KVStoreSpec): FieldError[] {
  if (spec.restore === undefined) return [];
  const same = oldSpec.restore?.backup === spec.restore.backup && oldSpec.restore?.url === spec.restore.url;
  if (same) return [];
  return [{ field: 'spec.restore', message: 'can only be set when the store is created: a restore into an existing store would replace its data; create a new store with spec.restore' }];
}
