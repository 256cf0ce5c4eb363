/**
 * Streams a Readable into one S3 object through a multipart upload: memory holds at most two parts (the one being
 * sent and the one being read), whatever the object's size. The object appears only when CompleteMultipartUpload
 * succeeds, so an upload cut short (error, abort, a killed process) never leaves a partial object under the key; the
 * upload is aborted where the process is still alive to do it (an orphaned one is the bucket's lifecycle rule's job).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client } from './s3-client.js';

export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** S3's floor for every part but the last. */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;

export interface StreamUploadResult {
  sizeBytes: number;
  parts: number;
  /** SHA-256 of the whole object, hex: each part is also signed with its own hash and Content-MD5, which S3 checks. */
  sha256: string;
}

export interface StreamUploadOptions {
  partSizeBytes?: number;
  signal?: AbortSignal;
}

/**
 * The source cut into parts of `partSizeBytes`, copied into two buffers used in turn: a part is handed out, sent
 * while the next one fills the other buffer, and its buffer is filled again only after the caller awaited its upload
 * (uploadStream awaits part k before it takes part k+2). Fresh 8 MiB buffers per part would leave the garbage
 * collector hundreds of MB of dead parts to find over a 1 GiB upload; two reused ones keep the RSS flat.
 */
async function* partsOf(source: Readable, partSizeBytes: number): AsyncGenerator<Buffer> {
  const buffers: Buffer[] = [];
  let current = 0;
  let filled = 0;
  const target = (): Buffer => {
    buffers[current] ??= Buffer.allocUnsafe(partSizeBytes);
    return buffers[current]!;
  };
  for await (const chunk of source) {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    while (data.length > 0) {
      const taken = data.copy(target(), filled, 0, Math.min(data.length, partSizeBytes - filled));
      filled += taken;
      data = data.subarray(taken);
      if (filled === partSizeBytes) {
        yield target();
        current = 1 - current;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield target().subarray(0, filled);
}

export async function uploadStream(client: S3Client, bucket: string, key: string, source: Readable, options: StreamUploadOptions = {}): Promise<StreamUploadResult> {
  // An error before the first read (while the upload is being created) would be uncaught; iteration reports it anyway.
  source.on('error', () => undefined);
  const partSizeBytes = Math.max(options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES);
  let uploadId: string;
  try {
    uploadId = await client.createMultipartUpload(bucket, key);
  } catch (error) {
    // The source must not stay open: a replication stream left paused holds the engine's sync for its idle timeout.
    source.destroy();
    throw new Error(`upload of s3://${bucket}/${key} could not start`, { cause: error });
  }
  const hash = createHash('sha256');
  const etags: string[] = [];
  let sizeBytes = 0;
  let inFlight: Promise<void> | undefined;
  try {
    for await (const part of partsOf(source, partSizeBytes)) {
      options.signal?.throwIfAborted();
      hash.update(part);
      sizeBytes += part.length;
      const partNumber = etags.length + 1;
      etags.push('');
      // One part on the wire while the next is read: the stream and the network overlap, memory stays two parts.
      await inFlight;
      inFlight = client.uploadPart(bucket, key, uploadId, partNumber, part).then((etag) => { etags[partNumber - 1] = etag; });
    }
    await inFlight;
    options.signal?.throwIfAborted();
    // An empty source still makes an (empty) object: one empty part is allowed as the only part.
    if (etags.length === 0) etags.push(await client.uploadPart(bucket, key, uploadId, 1, Buffer.alloc(0)));
    await client.completeMultipartUpload(bucket, key, uploadId, etags);
  } catch (error) {
    source.destroy();
    await inFlight?.catch(() => undefined);
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw new Error(`upload of s3://${bucket}/${key} failed after ${sizeBytes} bytes`, { cause: error });
  }
  return { sizeBytes, parts: etags.length, sha256: hash.digest('hex') };
}
