/**
 * The KVBackup custom resource: one on-demand backup of one store to S3. Its destination defaults to the store's
 * `spec.snapshot` (dir and s3); the reconciler fills the status once and never runs a backup twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Condition, ObjectMeta } from './core.js';
import { S3Settings } from './kvstore.js';
import { StringEnum } from './string-enum.js';

export const BACKUP_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];

export const KVBackupSpec = Type.Object({
  store: Type.String({ minLength: 1, description: 'The KVStore to back up, in the same namespace.' }),
  dir: Type.Optional(Type.String({ pattern: '^s3://[^/]+', description: 's3://bucket/prefix to upload to. Default the store snapshot.dir (which must then be an s3:// dir).' })),
  s3: Type.Optional(S3Settings),
}, {
  description: 'What to back up and where.',
  'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'a KVBackup spec is immutable: create another backup' }],
});

export const KVBackupStatus = Type.Object({
  phase: Type.Optional(StringEnum(BACKUP_PHASES, 'Pending, Running, Succeeded or Failed.')),
  url: Type.Optional(Type.String({ description: 'The s3:// object holding the RDB.' })),
  sizeBytes: Type.Optional(Type.Integer({ description: 'Size of the RDB uploaded.' })),
  durationMs: Type.Optional(Type.Integer({ description: 'How long the upload took, in milliseconds.' })),
  pod: Type.Optional(Type.String({ description: 'The pod the data was read from.' })),
  startTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the backup started.' })),
  completionTime: Type.Optional(Type.String({ format: 'date-time', description: 'When it ended.' })),
  sha256: Type.Optional(Type.String({ description: 'SHA-256 of the uploaded RDB, hex.' })),
  conditions: Type.Optional(Type.Array(Condition, { description: 'Complete (True when Succeeded, False with the reason when Failed).' })),
}, { description: 'Observed state of the backup.' });

export const KVBackup = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: ObjectMeta,
  spec: KVBackupSpec,
  status: Type.Optional(KVBackupStatus),
}, { description: 'An on-demand backup of a KVStore to S3.' });

export type KVBackupSpec = Static<typeof KVBackupSpec>;
export type KVBackupStatus = Static<typeof KVBackupStatus>;
export type KVBackup = Static<typeof KVBackup>;
