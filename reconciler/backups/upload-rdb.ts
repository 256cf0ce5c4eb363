/**
 * One upload: an engine's RDB, streamed over the replication protocol straight into a multipart upload, then
 * retention. Nothing is written in the pod and the operator holds at most two parts in memory.
 */
import type { EngineEndpoint } from '../replication/engine-connection.js';
import { snapshotsBeyondKeep, storeFolder, type S3Location } from '../../shared/s3-location.js';
import { openRdbStream } from './rdb-sync-stream.js';
import type { S3Client } from './s3/s3-client.js';
import { uploadStream, type StreamUploadResult } from './s3/upload-stream.js';

export interface RdbUploadInput {
  endpoint: EngineEndpoint;
  client: S3Client;
  bucket: string;
  key: string;
  signal?: AbortSignal;
  partSizeBytes?: number;
}

export interface RdbUploadResult extends StreamUploadResult {
  durationMs: number;
}

export async function uploadRdb(input: RdbUploadInput): Promise<RdbUploadResult> {
  const startedAt = performance.now();
  const rdb = await openRdbStream(input.endpoint);
  const abort = (): void => { rdb.body.destroy(new Error('aborted')); };
  input.signal?.addEventListener('abort', abort, { once: true });
  try {
    const result = await uploadStream(input.client, input.bucket, input.key, rdb.body, { partSizeBytes: input.partSizeBytes, signal: input.signal });
    if (rdb.sizeBytes !== undefined && rdb.sizeBytes !== result.sizeBytes) {
      // Cannot happen with a stream that ended cleanly; if it does, the object must not be trusted.
      await input.client.deleteObject(input.bucket, input.key);
      throw new Error(`the engine announced ${rdb.sizeBytes} bytes and ${result.sizeBytes} were uploaded`);
    }
    return { ...result, durationMs: Math.round(performance.now() - startedAt) };
  } finally {
    // Whatever happened, the replication connection is closed (a no-op once the payload ended).
    rdb.body.destroy();
    input.signal?.removeEventListener('abort', abort);
  }
}

/** Deletes the store's oldest scheduled snapshots beyond `keep`; the keys deleted. */
export async function pruneSnapshots(client: S3Client, location: S3Location, namespace: string, store: string, keep: number | undefined): Promise<string[]> {
  if (keep === undefined) return [];
  const folder = storeFolder(location, namespace, store);
  const listed = await client.listObjects(location.bucket, folder);
  const doomed = snapshotsBeyondKeep(folder, listed.map((object) => object.key), keep);
  for (const key of doomed) await client.deleteObject(location.bucket, key);
  return doomed;
}
