/**
 * Failover while the leader is down (issue 18): two reconcilers with leader election as child processes
 * (`redwing reconciler --leader-elect`, as two replicas of the Deployment), one KVStore of 3 pods on the sandbox, and a
 * writer making acknowledged writes (SET + WAIT 1) through the master Service. Each trial kills the leading
 * reconciler (SIGKILL) and the master's engine (kill -9) at the same moment, and measures from there: when the
 * standby took the lease, when the store recorded a new master, and when writes were acknowledged again. A fresh
 * reconciler replaces the killed one before the next trial. At the end every acknowledged key is read back.
 *
 *   npm run bench:failover-leader -- [--trials 10] [--down-after 1000] [--verbose]
 *
 * --verbose prints the new leader's log lines from the fault to the new master, with their time since the fault.
 *
 * The target is downAfterMilliseconds + 3 s. Prints figures only; it asserts nothing about timings.
 */
import { parseArgs } from 'node:util';
import { paths } from '../kube/paths.js';
import type { LeaseObject } from '../kube/leader-election.js';
import { LEADER_LEASE_NAME } from '../reconciler/controller/main.js';
import { ChildReconciler } from '../harness/child-reconciler.js';
import { getStore, kvstore, listStorePods, startSandboxCluster, storePassword, waitStoreReady } from '../harness/sandbox-cluster.js';
import { missingKeys } from '../harness/topology.js';
import { waitFor } from '../harness/wait-for.js';
import { Writer } from '../harness/writer.js';
import { summary } from './failover-stats.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '10' }, 'down-after': { type: 'string', default: '1000' }, verbose: { type: 'boolean', default: false } } });
const TRIALS = Number(values.trials);
const DOWN_AFTER_MS = Number(values['down-after']);
const STORE = 'leader';

interface Trial {
  leaseMs: number;
  recordedMs: number;
  writesMs: number;
}

async function main(): Promise<void> {
  const cluster = await startSandboxCluster({ restartBackoffBaseMs: 10_000 });
  const reconcilers: ChildReconciler[] = [];
  // A standby counts once it runs: one still starting (a Node process under load) sees the lease late, and the
  // trial would time its start-up, not the takeover.
  const start = async () => {
    const child = new ChildReconciler({ kubeconfigPath: cluster.reconcilerKubeconfigPath, args: ['--leader-elect'] });
    reconcilers.push(child);
    await child.waitForLog('the reconciler to start', (entry) => entry.msg === 'reconciler started', 60_000);
    return child;
  };
  const lease = () => cluster.client.getOptional<LeaseObject>(paths.lease('redwing-system', LEADER_LEASE_NAME));
  const leader = () => waitFor('a live leader', async () => {
    const holder = (await lease())?.spec?.holderIdentity ?? '';
    return reconcilers.find((child) => child.running && holder.includes(`-${child.pid}-`));
  }, 30_000, 50);
  // Ctrl-C: the child reconcilers go too (the sandbox stops its pods on the signal by itself).
  process.once('SIGINT', () => {
    for (const child of reconcilers) child.killNow();
    void cluster.stop().finally(() => process.exit(130));
  });
  const trials: Trial[] = [];
  let writer: Writer | undefined;
  try {
    await Promise.all([start(), start()]);
    await cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 3, failover: { downAfterMilliseconds: DOWN_AFTER_MS }, replication: { minReplicasToWrite: 1 } }));
    await waitStoreReady(cluster.client, STORE, 3, { allPodsReady: true });
    const password = await storePassword(cluster.client, STORE);
    const serviceIp = (await cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE))).spec.clusterIP;
    writer = new Writer({ host: serviceIp, port: 6379, password, prefix: 'leader', retryForMs: 60_000, waitReplicas: 1, waitTimeoutMs: 300 });
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const pods = await waitStoreReady(cluster.client, STORE, 3, { allPodsReady: true });
      const master = pods.find((pod) => pod.role === 'master')!;
      const dying = await leader();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const faultAt = Date.now();
      dying.killNow();
      await cluster.sandbox.faults.crashPod('default', master.name);
      const leaseAt = await waitFor('the standby to take the lease', async () => {
        const holder = (await lease())?.spec?.holderIdentity ?? '';
        return holder && !holder.includes(`-${dying.pid}-`) ? Date.now() : undefined;
      }, 60_000, 20);
      const recordedAt = await waitFor('a new master recorded', async () => {
        const status = (await getStore(cluster.client, STORE)).status;
        return status?.master && status.master !== master.name ? Date.now() : undefined;
      }, 60_000, 20);
      // The first write acknowledged after the first one the fault made fail (the writer is sequential).
      const writesAt = await waitFor('an acknowledged write after the fault', () => {
        const firstError = writer!.report.errors.find((error) => error.atMs >= faultAt);
        return firstError ? writer!.report.ackTimesMs[firstError.ackedBefore] : undefined;
      }, 60_000, 10);
      trials.push({ leaseMs: leaseAt - faultAt, recordedMs: recordedAt - faultAt, writesMs: writesAt - faultAt });
      process.stdout.write(`trial ${trial + 1}: lease taken ${leaseAt - faultAt} ms, new master recorded ${recordedAt - faultAt} ms, writes acknowledged again ${writesAt - faultAt} ms\n`);
      if (values.verbose) {
        for (const entry of reconcilers.find((child) => child.running && child !== dying)!.entries) {
          const at = Number(entry.time) - faultAt;
          if (at >= 0 && at <= writesAt - faultAt + 200) process.stdout.write(`  +${at} ms ${entry.msg} ${JSON.stringify(entry).slice(0, 240)}\n`);
        }
      }
      await start();
    }
    const report = await writer.stop();
    writer = undefined;
    const masterPod = (await listStorePods(cluster.client, STORE)).find((pod) => pod.role === 'master')!;
    const lost = await missingKeys({ host: masterPod.ip!, port: 6379, password }, report.acknowledged);
    process.stdout.write([
      '',
      `leader (SIGKILL) and master (kill -9) at once, downAfterMilliseconds ${DOWN_AFTER_MS}, n=${trials.length} (target: ${DOWN_AFTER_MS + 3000} ms)`,
      summary('standby takes the lease', trials.map((trial) => trial.leaseMs)),
      summary('new master recorded', trials.map((trial) => trial.recordedMs)),
      summary('writes acknowledged again', trials.map((trial) => trial.writesMs)),
      `acknowledged writes lost: ${lost.length} of ${report.acknowledged.length}`,
      '',
    ].join('\n'));
  } finally {
    await writer?.stop();
    for (const child of reconcilers) await child.stop();
    await cluster.stop();
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
