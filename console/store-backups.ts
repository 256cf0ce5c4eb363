/**
 * A store's on-demand backups (KVBackup objects naming it), as the store page lists them, and the KVBackup that
 * "Back up now" creates. The reconciler runs each KVBackup once and fills its status; the console only asks. Pure.
 */
import { API_GROUP_VERSION, KVBACKUP_KIND } from '../shared/api.js';
import type { KVBackup } from '../shared/schema/kvbackup.js';
import type { BackupRow } from './web/feed-rows.js';

export type { BackupRow } from './web/feed-rows.js';

export function isBackupOf(backup: KVBackup, storeName: string): boolean {
  return backup.spec?.store === storeName;
}

export function backupRow(backup: KVBackup): BackupRow {
  const complete = backup.status?.conditions?.find((condition) => condition.type === 'Complete');
  return {
    name: backup.metadata?.name ?? '',
    phase: backup.status?.phase ?? 'Pending',
    url: backup.status?.url ?? '',
    sizeBytes: backup.status?.sizeBytes ?? null,
    durationMs: backup.status?.durationMs ?? null,
    pod: backup.status?.pod ?? '',
    created: String(backup.metadata?.creationTimestamp ?? ''),
    message: complete?.message ?? '',
  };
}

/** Newest first. */
export function sortBackups(rows: BackupRow[]): BackupRow[] {
  return [...rows].sort((a, b) => b.created.localeCompare(a.created) || b.name.localeCompare(a.name));
}

/**
 * The KVBackup of "Back up now": a generated name after the store, and `spec.dir` only when the user gave one (else
 * the reconciler takes the store's `spec.snapshot.dir`).
 */
export function newBackup(namespace: string, storeName: string, dir: string | undefined): KVBackup {
  return {
    apiVersion: API_GROUP_VERSION, kind: KVBACKUP_KIND,
    metadata: { generateName: `${storeName}-`, namespace },
    spec: { store: storeName, ...(dir ? { dir } : {}) },
  };
}
