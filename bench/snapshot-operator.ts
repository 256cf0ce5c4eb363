/**
 * The operator's side of bench:snapshot in its own process, so its RSS is the operator's alone: `upload` streams an
 * engine's RDB into S3 (reconciler/backups/upload-rdb.ts, what a scheduled snapshot and a KVBackup run), `restore`
 * feeds an S3 object into a fenced engine (reconciler/backups/restore-rdb.ts, what spec.restore runs). Input is the
 * JSON in argv[2]; the result is one JSON line on stdout.
 */
import { S3Client } from '../reconciler/backups/s3/s3-client.js';
import { restoreRdb } from '../reconciler/backups/restore-rdb.js';
import { uploadRdb } from '../reconciler/backups/upload-rdb.js';

export interface OperatorJob {
  mode: 'upload' | 'restore';
  engine: { host: string; port: number; password?: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  bucket: string;
  key: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as OperatorJob;
// Before any transfer: what the process holds with its code loaded (tsx included), to compare the peak with.
const rssBeforeMiB = process.memoryUsage.rss() / 1024 / 1024;
const client = new S3Client({ endpoint: job.s3.endpoint, region: job.s3.region, forcePathStyle: true, credentials: job.s3 });
if (job.mode === 'upload') {
  const result = await uploadRdb({ endpoint: job.engine, client, bucket: job.bucket, key: job.key });
  process.stdout.write(`${JSON.stringify({ sizeBytes: result.sizeBytes, durationMs: result.durationMs, parts: result.parts, rssBeforeMiB })}\n`);
} else {
  const result = await restoreRdb({ endpoint: job.engine, client, bucket: job.bucket, key: job.key, feedHost: '127.0.0.1', pollIntervalMs: 50 });
  process.stdout.write(`${JSON.stringify({ ...result, rssBeforeMiB })}\n`);
}
