/**
 * A scheduled snapshot into an s3:// `spec.snapshot.dir`: the chosen pod's RDB is streamed over the replication
 * protocol straight into the bucket (no BGSAVE file in the pod), under `<prefix>/<namespace>/<store>/<time>.rdb`
 * (`<time>.shutdown.rdb` for the final one of a deleted store), then
 * the oldest beyond `spec.snapshot.keep` are deleted. Credentials and settings as reconciler/backups/s3-access.ts.
 */
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import { snapshotObjectKey } from '../../shared/s3-location.js';
import type { EngineEndpoint } from '../replication/engine-connection.js';
import type { SecretObject } from '../controller/store-secrets.js';
import { resolveS3Access } from '../backups/s3-access.js';
import { runUpload } from '../backups/run-upload.js';
import type { UploadSummary } from './snapshot-outcome.js';

export interface S3SnapshotSettings {
  /** Where credentials come from without a credentialsSecret (default process.env). */
  environment?: NodeJS.ProcessEnv;
  /** Test hooks. */
  retryBaseMs?: number;
  partSizeBytes?: number;
}

export interface StoreUploadInput {
  namespace: string;
  name: string;
  spec: KVStoreSpec;
  endpoint: EngineEndpoint;
  readSecret: (name: string) => Promise<SecretObject | undefined>;
  now: Date;
  signal: AbortSignal;
  settings?: S3SnapshotSettings;
  /** 'shutdown': the final snapshot of a deleted store, `<time>.shutdown.rdb` (shutdown-snapshot.ts). */
  kind?: 'scheduled' | 'shutdown';
}

export async function uploadStoreSnapshot(input: StoreUploadInput): Promise<UploadSummary> {
  if (input.spec.engine === 'dragonfly') {
    // Admission refuses this; a store written around the webhook is told why instead of failing on the protocol.
    return { ok: false, durationMs: 0, reason: 'NotSupported', error: 'spec.snapshot.dir: s3:// is not supported for dragonfly (its replication protocol is not Redis\'s); use /data' };
  }
  const resolved = await resolveS3Access({
    url: input.spec.snapshot?.dir ?? '', urlField: 'spec.snapshot.dir', s3: input.spec.snapshot?.s3, s3Field: 'spec.snapshot.s3',
    readSecret: input.readSecret, environment: input.settings?.environment, retryBaseMs: input.settings?.retryBaseMs,
  });
  if (!resolved.ok) return { ok: false, durationMs: 0, reason: resolved.reason, error: resolved.message };
  return runUpload({
    access: resolved.access, endpoint: input.endpoint, signal: input.signal, partSizeBytes: input.settings?.partSizeBytes,
    key: snapshotObjectKey(resolved.access.location, input.namespace, input.name, input.now, input.kind),
    retention: { namespace: input.namespace, store: input.name, keep: input.spec.snapshot?.keep },
  });
}
