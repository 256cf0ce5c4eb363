/**
 * End to end on the sandbox with real redis-server and prometheus-redis-exporter processes: the exporter sidecar logs
 * in as its own ACL user, so it keeps scraping through a live password rotation without a restart, and that user can
 * read INFO but no keys.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import { kvstore, type PodInfo, redisCommand, storePassword, useReconcilerOnSandbox, waitFor, waitForPasswordRotated, waitStoreReady } from './e2e-helpers.js';

const STORE = 'metrics';

async function scrape(ip: string): Promise<string> {
  const response = await fetch(`http://${ip}:9121/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200);
  return response.text();
}

function redisUp(metrics: string): string | undefined {
  return /^redis_up (\d+)$/m.exec(metrics)?.[1];
}

/** redis-cli from the host as the exporter user (REDISCLI_AUTH keeps the password off the command line). */
function cliAsExporter(ip: string, password: string, ...command: string[]): string {
  const result = spawnSync('redis-cli', ['--no-auth-warning', '-h', ip, '-p', '6379', '--user', 'redwing-exporter', ...command], {
    encoding: 'utf8', env: { ...process.env, REDISCLI_AUTH: password }, timeout: 10_000,
  });
  return `${result.stdout}${result.stderr}`.trim();
}

describe('reconciler end to end: the exporter sidecar', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  const waitReady = (replicas: number): Promise<PodInfo[]> => waitStoreReady(e2e.cluster.client, STORE, replicas);

  /** pod name -> `<uid>/<restartCount of the exporter container>`. */
  async function exporterRestarts(): Promise<Record<string, string>> {
    const list = await e2e.cluster.client.list<{ metadata: { name: string; uid: string }; status?: { containerStatuses?: Array<{ name: string; restartCount: number }> } }>(
      paths.core('pods', 'default'), `app.kubernetes.io/instance=${STORE}`,
    );
    return Object.fromEntries(list.items.map((pod) => {
      const exporter = pod.status?.containerStatuses?.find((status) => status.name === 'exporter');
      assert.ok(exporter, `${pod.metadata.name} runs the exporter`);
      return [pod.metadata.name, `${pod.metadata.uid}/${exporter.restartCount}`];
    }));
  }

  it('keeps redis_up 1 on every pod through a live password rotation, without restarting, as a user that cannot read keys', async () => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 2, exporter: { enabled: true } }));
    const pods = await waitReady(2);

    const secret = await e2e.cluster.client.get<{ data: Record<string, string>; metadata: { ownerReferences?: Array<{ kind: string; name: string }> } }>(
      paths.coreObject('secrets', 'default', `${STORE}-exporter-auth`),
    );
    assert.deepEqual(secret.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name]), [['KVStore', STORE]]);
    const exporterPassword = Buffer.from(secret.data.password!, 'base64').toString('utf8');

    for (const pod of pods) {
      await waitFor(`redis_up 1 from the exporter of ${pod.name}`, async () => redisUp(await scrape(pod.ip!)) === '1', 60_000);
    }
    const before = await exporterRestarts();

    const oldPassword = await storePassword(e2e.cluster.client, STORE);
    const newPassword = 'rotated-exporter-password-0123456789';
    await e2e.cluster.client.patch(paths.coreObject('secrets', 'default', `${STORE}-auth`), { data: { password: Buffer.from(newPassword).toString('base64') } });
    for (const pod of pods) await waitForPasswordRotated(pod.ip!, newPassword, oldPassword);
    await waitReady(2);

    // Every scrape opens a new connection and logs in again: with the store password it would now fail (redis_up 0).
    for (const pod of pods) {
      const metrics = await scrape(pod.ip!);
      assert.equal(redisUp(metrics), '1', `${pod.name}: the exporter still reaches its engine after the rotation`);
      assert.match(metrics, /^redis_exporter_last_scrape_error\{err=""\} 0$/m, `${pod.name}: no scrape error`);
    }
    assert.deepEqual(await exporterRestarts(), before, 'no exporter (or pod) restarted');
    for (const pod of pods) {
      // Every command a scrape sends is allowed: no NOPERM entry from the exporter user in the engine's ACL log.
      const log = await redisCommand(pod.ip!, newPassword, 'ACL', 'LOG') as unknown[][];
      const denied = log.map((entry) => entry.map(String).join(' ')).filter((entry) => entry.includes('redwing-exporter'));
      assert.deepEqual(denied, [], `${pod.name}: ACL LOG`);
    }

    // Least privilege: INFO yes, keys no.
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.match(cliAsExporter(master.ip!, exporterPassword, 'INFO', 'replication'), /role:master/);
    assert.match(cliAsExporter(master.ip!, exporterPassword, 'SET', 'k', 'v'), /NOPERM/);
    assert.match(cliAsExporter(master.ip!, exporterPassword, 'GET', 'k'), /NOPERM/);
    assert.match(cliAsExporter(master.ip!, exporterPassword, 'CONFIG', 'GET', 'requirepass'), /NOPERM/, 'the config (and its passwords) stays hidden');
  });
});
