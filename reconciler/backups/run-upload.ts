/**
 * One upload of a store's RDB to S3 as the snapshot runs and KVBackups use it: stream from the chosen pod, complete
 * the object, apply retention. Never throws: every failure is a result with a reason a condition and an Event can
 * carry (the caller decides where), because a failed upload must be reported, not crash a loop.
 */
import type { EngineEndpoint } from '../replication/engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';
import { toS3Url } from '../../shared/s3-location.js';
import type { S3Access } from './s3-access.js';
import { findS3RequestError } from './s3/s3-client.js';
import { pruneSnapshots, uploadRdb } from './upload-rdb.js';

export type UploadFailureReason = 'S3AccessDenied' | 'S3BucketMissing' | 'UploadFailed' | 'Aborted';

export type UploadResult =
  | { ok: true; durationMs: number; url: string; sizeBytes: number; sha256: string; pruned: string[] }
  | { ok: false; durationMs: number; reason: UploadFailureReason; error: string };

export interface RunUploadInput {
  access: S3Access;
  endpoint: EngineEndpoint;
  key: string;
  /** Retention after a successful upload (scheduled snapshots only). */
  retention?: { namespace: string; store: string; keep: number | undefined };
  signal?: AbortSignal;
  partSizeBytes?: number;
}

/** A refusal the user must fix (credentials, bucket) is named as such; the rest is one retryable failure. */
export function classifyUploadError(error: unknown, signal?: AbortSignal): { reason: UploadFailureReason; error: string } {
  if (signal?.aborted) return { reason: 'Aborted', error: 'stopped: the reconciler is shutting down' };
  const s3 = findS3RequestError(error);
  if (s3?.statusCode === 403 || s3?.code === 'InvalidAccessKeyId' || s3?.code === 'SignatureDoesNotMatch' || s3?.code === 'AccessDenied') {
    return { reason: 'S3AccessDenied', error: `S3 refused the credentials (${s3.code ?? `HTTP ${s3.statusCode}`}): ${s3.message}` };
  }
  if (s3?.code === 'NoSuchBucket') return { reason: 'S3BucketMissing', error: s3.message };
  const causes: string[] = [];
  let current: unknown = error;
  // The wrapping says which upload; the innermost cause says why.
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    causes.push(current.message);
    current = current.cause;
  }
  return { reason: 'UploadFailed', error: causes.length > 0 ? causes.join(': ') : errorMessage(error) };
}

export async function runUpload(input: RunUploadInput): Promise<UploadResult> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const { client, location } = input.access;
  try {
    const result = await uploadRdb({ endpoint: input.endpoint, client, bucket: location.bucket, key: input.key, signal: input.signal, partSizeBytes: input.partSizeBytes });
    let pruned: string[] = [];
    if (input.retention) {
      // A failed prune leaves extra snapshots, never a missing one: the upload still succeeded.
      pruned = await pruneSnapshots(client, location, input.retention.namespace, input.retention.store, input.retention.keep).catch(() => []);
    }
    return { ok: true, durationMs: elapsed(), url: toS3Url(location.bucket, input.key), sizeBytes: result.sizeBytes, sha256: result.sha256, pruned };
  } catch (error: unknown) {
    return { ok: false, durationMs: elapsed(), ...classifyUploadError(error, input.signal) };
  }
}
