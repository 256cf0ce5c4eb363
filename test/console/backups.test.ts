/**
 * "Back up now" and the store page's backups: the console creates a KVBackup as the user and pushes the store's
 * KVBackups (and their status as the reconciler fills it) over the store's event stream; a cluster without the
 * KVBackup CRD gets a reason instead of a watch that retries forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startConsole, type RunningConsole } from '../../console/server.js';
import { backupRow, newBackup, sortBackups, type BackupRow } from '../../console/store-backups.js';
import { waitFor } from '../../harness/wait-for.js';
import { KubeClient } from '../../kube/client.js';
import { resolveClusterAccess } from '../../kube/cluster-access.js';
import { paths } from '../../kube/paths.js';
import { buildKVBackupCrd, buildKVStoreCrd } from '../../shared/crds.js';
import type { KVBackup } from '../../shared/schema/kvbackup.js';
import { useTestApiServer } from '../helpers/api-server.js';
import { ConsoleUser } from './console-client.js';

const BACKUPS = '/apis/redwing.dev/v1alpha1/namespaces/default/kvbackups';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

describe('console backups', () => {
  let admin: KubeClient;
  let running: RunningConsole;
  after(async () => {
    admin?.close();
    await running?.stop();
  });
  const api = useTestApiServer({ dirPrefix: 'redwing-console-backups-' });

  before(async () => {
    admin = new KubeClient(api.kubeConfig);
    // the KVStore CRD alone first: a cluster that does not serve KVBackups (yet)
    await admin.create(CRDS, buildKVStoreCrd());
    await waitFor('the KVStore API', () => admin.list(paths.kvstores('default')).then(() => true), 10_000, 50);
    await admin.create(paths.kvstores('default'), { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'cache', namespace: 'default' }, spec: { engine: 'redis' } });
    running = await startConsole({ access: await resolveClusterAccess(api.kubeConfig), offerKubeconfig: true, readOnly: false, port: 0, logger: pino({ level: 'silent' }) });
  });

  it('says why there are no backups when the cluster does not serve KVBackups', async () => {
    const user = new ConsoleUser(running.url);
    await user.login();
    const stream = user.stream('/api/events/stores/default/cache');
    try {
      assert.deepEqual(await stream.next('backups'), { available: false, reason: 'this cluster does not serve KVBackups (CRD not installed)' });
    } finally {
      stream.close();
    }
  });

  it('creates a KVBackup of the store and pushes it, then its status, to the store page', async () => {
    await admin.create(CRDS, buildKVBackupCrd());
    await waitFor('the KVBackup API', () => admin.list(BACKUPS).then(() => true), 10_000, 50);
    const user = new ConsoleUser(running.url);
    await user.login();
    const stream = user.stream('/api/events/stores/default/cache');
    try {
      assert.deepEqual(await stream.next('backups'), { available: true, rows: [] });
      const created = await user.call('POST', '/api/stores/default/cache/backups', { dir: 's3://bucket/cache' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const name = String((created.body.metadata as { name: string }).name);
      assert.match(name, /^cache-/);
      const stored = await admin.get<KVBackup>(`${BACKUPS}/${name}`);
      assert.deepEqual(stored.spec, { store: 'cache', dir: 's3://bucket/cache' });
      let pushed = await stream.next('backups') as { rows: BackupRow[] };
      assert.deepEqual(pushed.rows.map((row) => [row.name, row.phase]), [[name, 'Pending']]);
      await admin.patch(`${BACKUPS}/${name}/status`, { status: { phase: 'Succeeded', url: 's3://bucket/cache/dump.rdb', sizeBytes: 1234, durationMs: 80, pod: 'cache-1' } }, 'merge');
      pushed = await stream.next('backups') as { rows: BackupRow[] };
      assert.deepEqual(pushed.rows.map((row) => [row.phase, row.url, row.sizeBytes, row.pod]), [['Succeeded', 's3://bucket/cache/dump.rdb', 1234, 'cache-1']]);
    } finally {
      stream.close();
    }
  });

  it('refuses a dir that is not a string, and relays the API server refusing a bad one', async () => {
    const user = new ConsoleUser(running.url);
    await user.login();
    assert.equal((await user.call('POST', '/api/stores/default/cache/backups', { dir: 5 })).status, 400);
    // the CRD's pattern: an on-demand backup goes to S3
    assert.equal((await user.call('POST', '/api/stores/default/cache/backups', { dir: '/data' })).status, 422);
  });
});

describe('console backups: rows', () => {
  it('reads the phase, where it went and why it failed; newest first', () => {
    const failed = backupRow({
      apiVersion: 'redwing.dev/v1alpha1', kind: 'KVBackup', metadata: { name: 'a', creationTimestamp: '2026-12-07T10:00:00Z' as unknown as Date }, spec: { store: 's' },
      status: { phase: 'Failed', conditions: [{ type: 'Complete', status: 'False', reason: 'NoDestination', message: 'spec.snapshot.dir is not s3://', lastTransitionTime: '2026-12-07T10:00:01Z' }] },
    });
    assert.equal(failed.message, 'spec.snapshot.dir is not s3://');
    const newer = { ...failed, name: 'b', created: '2026-12-07T11:00:00Z' };
    assert.deepEqual(sortBackups([failed, newer]).map((row) => row.name), ['b', 'a']);
    assert.deepEqual(newBackup('ns', 's', undefined).spec, { store: 's' });
    assert.equal(newBackup('ns', 's', undefined).metadata.generateName, 's-');
  });
});
