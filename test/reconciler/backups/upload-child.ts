/**
 * A separate uploader process for the "killed mid-upload" test: uploads one engine's RDB to S3 as the reconciler
 * does, from the JSON in argv[2], so the test can SIGKILL it while parts are in flight.
 */
import { S3Client } from '../../../reconciler/backups/s3/s3-client.js';
import { uploadRdb } from '../../../reconciler/backups/upload-rdb.js';

interface ChildInput { engine: { host: string; port: number; password?: string }; s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }; bucket: string; key: string; partSizeBytes: number }

const input = JSON.parse(process.argv[2] ?? '{}') as ChildInput;
const client = new S3Client({ endpoint: input.s3.endpoint, region: input.s3.region, forcePathStyle: true, credentials: input.s3 });
await uploadRdb({ endpoint: input.engine, client, bucket: input.bucket, key: input.key, partSizeBytes: input.partSizeBytes });
process.stdout.write('uploaded\n');
