/**
 * The KVBackup controller, a second controller on the generic runner (kube/runtime/controller.ts) and leader-only
 * like the store controller. A backup is reconciled to its end once: wait (Pending) until its store has a master,
 * choose the pod as a scheduled snapshot would (spec.snapshot.source of the store), stream its RDB to
 * `<dir>/<namespace>/<store>/<time>-<backup>.rdb`, record the outcome in status and as Events on the backup. The
 * destination and S3 settings default to the store's spec.snapshot. Uploads run in this controller's own queue, so
 * a long one never holds up store reconciles.
 */
import { API_GROUP_VERSION, KVBACKUP_KIND, KVBACKUP_PLURAL } from '../../shared/api.js';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import type { Logger } from '../../shared/logger.js';
import { backupObjectKey } from '../../shared/s3-location.js';
import type { KVBackup } from '../../shared/schema/kvbackup.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import type { KubeClient } from '../../kube/client.js';
import { EventRecorder } from '../../kube/event-recorder.js';
import type { Informer } from '../../kube/informer.js';
import { Controller } from '../../kube/runtime/controller.js';
import { backupFinished, backupInterrupted, backupPending, backupStarted, isFinished, type BackupEventReason, type BackupStep } from '../backups/backup-status.js';
import { runUpload } from '../backups/run-upload.js';
import { resolveS3Access } from '../backups/s3-access.js';
import { chooseSnapshotSource, readSecret, type SnapshotSourceDeps } from '../snapshots/run-store-snapshot.js';
import { COMPONENT } from './events.js';

/** Waiting for a store to exist or elect a master is checked again this often. */
const PENDING_RECHECK_MS = 5000;

export const kvbackupPaths = {
  all: (namespace?: string) => namespace ? `/apis/${API_GROUP_VERSION}/namespaces/${namespace}/${KVBACKUP_PLURAL}` : `/apis/${API_GROUP_VERSION}/${KVBACKUP_PLURAL}`,
  one: (namespace: string, name: string) => `/apis/${API_GROUP_VERSION}/namespaces/${namespace}/${KVBACKUP_PLURAL}/${name}`,
};

export interface BackupControllerOptions extends SnapshotSourceDeps {
  backups: Informer;
  logger: Logger;
  /** Where credentials come from without a Secret (default process.env); test hooks. */
  s3?: { environment?: NodeJS.ProcessEnv; retryBaseMs?: number; partSizeBytes?: number };
  concurrency?: number;
  now?: () => Date;
}

export function createBackupEventRecorder(client: KubeClient, logger: Logger): EventRecorder<BackupEventReason> {
  return new EventRecorder<BackupEventReason>(client, { component: COMPONENT, reportingInstance: COMPONENT, involvedType: { apiVersion: API_GROUP_VERSION, kind: KVBACKUP_KIND }, logger });
}

export function createBackupController(options: BackupControllerOptions): Controller {
  const events = createBackupEventRecorder(options.client, options.logger);
  // Backups whose upload runs in this process: one found Running that is not here was cut off.
  const inFlight = new Set<string>();
  const now = options.now ?? (() => new Date());

  const write = async (backup: KVBackup, step: BackupStep | undefined, signal: AbortSignal): Promise<void> => {
    if (!step || signal.aborted) return;
    const { namespace, name } = backup.metadata as { namespace: string; name: string };
    await options.client.patch(`${kvbackupPaths.one(namespace, name)}/status`, { status: step.status }, 'merge');
    if (step.event) await events.record(backup, step.event);
  };

  const reconcile = async (key: string, signal: AbortSignal) => {
    const [namespace, name] = key.split('/') as [string, string];
    const backup = options.backups.get(namespace, name) as KVBackup | undefined;
    if (!backup || backup.metadata?.deletionTimestamp || isFinished(backup) || inFlight.has(key)) return {};
    if (backup.status?.phase === 'Running') {
      await write(backup, backupInterrupted(backup, now()), signal);
      return {};
    }
    const store = options.informers.stores.get(namespace, backup.spec.store) as KVStore | undefined;
    if (!store || store.metadata?.deletionTimestamp) {
      await write(backup, backupPending(backup, 'StoreNotFound', `KVStore ${backup.spec.store} does not exist in ${namespace}`, now()), signal);
      return { requeueAfterMs: PENDING_RECHECK_MS };
    }
    const spec = applyKVStoreDefaults(store.spec, backup.spec.store);
    if (spec.engine === 'dragonfly') {
      const error = `KVStore ${backup.spec.store} is a dragonfly store: Redwing streams RDBs over the Redis replication protocol, which dragonfly does not serve`;
      await write(backup, backupFinished(backup, undefined, { ok: false, durationMs: 0, reason: 'NotSupported', error }, now()), signal);
      return {};
    }
    const dir = backup.spec.dir ?? spec.snapshot?.dir ?? '';
    const dirField = backup.spec.dir ? 'spec.dir' : `KVStore ${backup.spec.store} spec.snapshot.dir`;
    const s3Field = backup.spec.s3 ? 'spec.s3' : `KVStore ${backup.spec.store} spec.snapshot.s3`;
    const access = await resolveS3Access({
      url: dir, urlField: dirField, s3: backup.spec.s3 ?? spec.snapshot?.s3, s3Field,
      readSecret: (secret) => readSecret(options, namespace, secret), environment: options.s3?.environment, retryBaseMs: options.s3?.retryBaseMs,
    });
    if (!access.ok) {
      await write(backup, backupFinished(backup, undefined, { ok: false, durationMs: 0, reason: access.reason, error: access.message }, now()), signal);
      return {};
    }
    if (!store.status?.master) {
      await write(backup, backupPending(backup, 'StoreNotReady', `KVStore ${backup.spec.store} has no master yet`, now()), signal);
      return { requeueAfterMs: PENDING_RECHECK_MS };
    }
    const { plan, endpoint } = await chooseSnapshotSource(options, `${namespace}/${backup.spec.store}`, store, spec);
    if (plan.kind !== 'run' || !endpoint) {
      await write(backup, backupPending(backup, 'NoPodAvailable', plan.kind === 'none' ? plan.message : 'no pod to read from', now()), signal);
      return { requeueAfterMs: PENDING_RECHECK_MS };
    }
    inFlight.add(key);
    try {
      const started = backupStarted(backup, plan.pod, dir, now());
      await write(backup, started, signal);
      const running: KVBackup = { ...backup, status: started.status };
      const result = await runUpload({
        access: access.access, endpoint, signal, partSizeBytes: options.s3?.partSizeBytes,
        key: backupObjectKey(access.access.location, namespace, backup.spec.store, name, now()),
      });
      // Stopped mid-upload: the multipart upload was aborted; the next leader finds it Running and says so.
      if (signal.aborted) return {};
      options.logger[result.ok ? 'info' : 'warn']({ backup: key, pod: plan.pod, result: result.ok ? 'succeeded' : result.reason, durationMs: result.durationMs }, 'backup finished');
      await write(running, backupFinished(running, plan.pod, result, now()), signal);
    } finally {
      inFlight.delete(key);
    }
    return {};
  };

  return new Controller({
    name: 'kvbackup',
    concurrency: options.concurrency ?? 2,
    maxDelayMs: 30_000,
    initialKeys: () => options.backups.list().map((backup) => `${backup.metadata?.namespace}/${backup.metadata?.name}`),
    reconcile,
    onFailure: (failure) => { options.logger.warn({ backup: failure.key, err: failure.error, failures: failure.failures }, 'backup reconcile failed'); },
  });
}
