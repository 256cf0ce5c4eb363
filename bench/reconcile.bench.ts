/**
 * Reconciler benchmark on the sandbox (real API server, real redis-server pods):
 * 1. time from apply to Ready for 1 store, then for 10 stores applied at once (3 pods each);
 * 2. the reconciler's RSS and CPU (its own process) with N KVStores whose pods are held Pending: steady state, and
 *    during a full resync of every store.
 *
 *   npm run bench:reconcile -- [--stores 500] [--replicas 3] [--settle-seconds 70] [--steady-seconds 20]
 *     [--skip-ready] [--skip-pending] [--from-source] [--heap-snapshot-dir DIR]
 *
 * The reconciler runs compiled (dist/, built first when stale) and loads its kubeconfig with its own loader, as
 * `redwing reconciler` runs in production; --from-source runs it through tsx instead, for comparison. Extra Node
 * flags for the reconciler default to the Deployment's (cli/reconciler-node-flags.ts); BENCH_WORKER_NODE_FLAGS,
 * space-separated, replaces them (empty for none).
 *
 * The settle time lets the first policy-audit pass (period 60 s) write its conditions before steady state is measured.
 *
 * Prints figures only; it asserts nothing about timings.
 */
import { RECONCILER_NODE_FLAGS } from '../cli/reconciler-node-flags.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startSandbox, type RunningSandbox } from '../sandbox/cluster.js';
import { installCrds } from '../harness/sandbox-cluster.js';
import { KubeClient } from '../kube/client.js';
import { paths } from '../kube/paths.js';
import type { KVStore } from '../shared/schema/kvstore.js';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: {
    stores: { type: 'string', default: '500' },
    replicas: { type: 'string', default: '3' },
    'steady-seconds': { type: 'string', default: '20' },
    'settle-seconds': { type: 'string', default: '70' },
    'skip-ready': { type: 'boolean', default: false },
    'skip-pending': { type: 'boolean', default: false },
    // The reconciler runs from dist/ (what production runs); this runs it through tsx instead, for comparison.
    'from-source': { type: 'boolean', default: false },
    // Writes a V8 heap snapshot of the reconciler into this directory after the steady-state window.
    'heap-snapshot-dir': { type: 'string' },
  },
});
const CLK_TCK = 100;

async function startCluster(holdPodsPending: boolean): Promise<{ sandbox: RunningSandbox; client: KubeClient; dir: string }> {
  const dir = mkdtempSync(join('/var/tmp', 'redwing-bench-reconcile-'));
  const sandbox = await startSandbox({ dir, holdPodsPending, logger: pino({ level: 'silent' }) });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(sandbox.kubeconfigPath);
  const client = new KubeClient(kubeConfig);
  // Every CRD, KVBackup included: without it the reconciler's KVBackup informer retries its list and logs warnings.
  await installCrds(client);
  return { sandbox, client, dir };
}

interface Worker {
  child: ChildProcess;
  metricsPort: number;
}

const ROOT = join(import.meta.dirname, '..');

function workerCommand(): string[] {
  if (values['from-source']) return ['--import', 'tsx', join(ROOT, 'bench', 'reconcile-worker.ts')];
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  return [join(ROOT, 'dist', 'bench', 'reconcile-worker.js')];
}

async function startWorker(kubeconfigPath: string): Promise<Worker> {
  const snapshotArgs = values['heap-snapshot-dir'] ? ['--heapsnapshot-signal=SIGUSR1'] : [];
  const nodeFlags = process.env.BENCH_WORKER_NODE_FLAGS !== undefined
    ? process.env.BENCH_WORKER_NODE_FLAGS.split(' ').filter((flag) => flag !== '')
    : [...RECONCILER_NODE_FLAGS];
  const child = spawn(process.execPath, [...nodeFlags, ...snapshotArgs, ...workerCommand(), kubeconfigPath], {
    stdio: ['ignore', 'pipe', 'inherit'], cwd: values['heap-snapshot-dir'] ?? process.cwd(),
  });
  const metricsPort = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { child, metricsPort };
}

async function stopWorker({ child }: Worker): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

function storeObject(name: string, replicas: number): KVStore {
  return { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, namespace: 'default' }, spec: { replicas } };
}

/** utime+stime (seconds) and RSS (MB) of a process, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssLine = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((line) => line.startsWith('VmRSS:'))!;
  return { cpuSeconds, rssMb: Number(rssLine.split(/\s+/)[1]) / 1024 };
}

async function phases(client: KubeClient): Promise<Map<string, string | undefined>> {
  const list = await client.list<KVStore>(paths.kvstores('default'));
  return new Map(list.items.map((store) => [store.metadata!.name!, store.status?.phase]));
}

async function timeToReady(client: KubeClient, names: string[], replicas: number): Promise<number[]> {
  const started = Date.now();
  const readyAt = new Map<string, number>();
  await Promise.all(names.map((name) => client.create(paths.kvstores('default'), storeObject(name, replicas))));
  while (readyAt.size < names.length) {
    if (Date.now() - started > 600_000) throw new Error('stores not Ready within 10 minutes');
    const current = await phases(client);
    for (const name of names) if (!readyAt.has(name) && current.get(name) === 'Ready') readyAt.set(name, Date.now() - started);
    await sleep(100);
  }
  return names.map((name) => readyAt.get(name)!);
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function benchReady(): Promise<void> {
  const { sandbox, client, dir } = await startCluster(false);
  const worker = await startWorker(sandbox.kubeconfigPath);
  try {
    const [single] = await timeToReady(client, ['one'], 3);
    console.log(`apply -> Ready, 1 store x 3 pods: ${(single! / 1000).toFixed(2)} s`);
    const names = Array.from({ length: 10 }, (_, index) => `ten-${index}`);
    const times = await timeToReady(client, names, 3);
    console.log(`apply -> Ready, 10 stores x 3 pods at once: p50 ${(percentile(times, 50) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s (all Ready)`);
  } finally {
    await stopWorker(worker);
    client.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPending(stores: number, replicas: number, steadySeconds: number): Promise<void> {
  const { sandbox, client, dir } = await startCluster(true);
  const worker = await startWorker(sandbox.kubeconfigPath);
  const pid = worker.child.pid!;
  try {
    const idle = processUsage(pid);
    console.log(`reconciler started, no stores: RSS ${idle.rssMb.toFixed(1)} MB`);
    const names = Array.from({ length: stores }, (_, index) => `pending-${index}`);
    const createStarted = Date.now();
    for (let index = 0; index < names.length; index += 25) {
      await Promise.all(names.slice(index, index + 25).map((name) => client.create(paths.kvstores('default'), storeObject(name, replicas))));
    }
    for (;;) {
      const current = await phases(client);
      const done = names.filter((name) => current.get(name) === 'Pending').length;
      if (done === names.length) break;
      if (Date.now() - createStarted > 900_000) throw new Error(`only ${done}/${names.length} stores reconciled after 15 minutes`);
      await sleep(500);
    }
    console.log(`${stores} stores x ${replicas} pods (held Pending) created and reconciled to phase Pending in ${((Date.now() - createStarted) / 1000).toFixed(1)} s`);
    // The sandbox's StatefulSet controller keeps creating pods and PVCs (each an event the reconciler handles) for a
    // while after the stores are Pending: steady state starts once they all exist.
    for (;;) {
      const pods = await client.list(paths.core('pods', 'default'));
      if (pods.items.length >= stores * replicas) break;
      if (Date.now() - createStarted > 1_800_000) throw new Error(`only ${pods.items.length}/${stores * replicas} pods after 30 minutes`);
      await sleep(2000);
    }
    console.log(`all ${stores * replicas} pods created after ${((Date.now() - createStarted) / 1000).toFixed(1)} s`);
    await sleep(Number(values['settle-seconds']) * 1000);
    const metricsCount = async () => {
      const response = await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`);
      const text = await response.text();
      const line = text.split('\n').find((entry) => entry.startsWith('redwing_reconcile_duration_seconds_count{result="success"}'));
      return Number(line?.split(' ')[1] ?? 0);
    };
    const steadyReconcilesBefore = await metricsCount();
    const steadyStart = processUsage(pid);
    const steadyStarted = Date.now();
    let peakRss = steadyStart.rssMb;
    while (Date.now() - steadyStarted < steadySeconds * 1000) {
      await sleep(1000);
      peakRss = Math.max(peakRss, processUsage(pid).rssMb);
    }
    const steadyEnd = processUsage(pid);
    const steadyCpu = (steadyEnd.cpuSeconds - steadyStart.cpuSeconds) / ((Date.now() - steadyStarted) / 1000);
    const steadyReconciles = (await metricsCount()) - steadyReconcilesBefore;
    console.log(`steady state (${steadySeconds} s): RSS ${steadyEnd.rssMb.toFixed(1)} MB (peak ${peakRss.toFixed(1)} MB), CPU ${(steadyCpu * 100).toFixed(2)} % of one core, ${steadyReconciles} reconciles`);

    if (values['heap-snapshot-dir']) {
      worker.child.kill('SIGUSR1');
      await sleep(15_000);
      console.log(`heap snapshot written to ${values['heap-snapshot-dir']}`);
    }

    const before = await metricsCount();
    const resyncStart = processUsage(pid);
    const resyncStarted = Date.now();
    worker.child.kill('SIGUSR2');
    let resyncPeak = resyncStart.rssMb;
    // The resync is over when the reconcile counter stops moving; sample the process meanwhile.
    let last = before;
    let stableSince = Date.now();
    let everyStoreOnceMs: number | undefined;
    while (Date.now() - stableSince < 2000) {
      await sleep(250);
      resyncPeak = Math.max(resyncPeak, processUsage(pid).rssMb);
      const count = await metricsCount();
      if (count !== last) {
        last = count;
        stableSince = Date.now();
      }
      if (everyStoreOnceMs === undefined && count - before >= stores) everyStoreOnceMs = Date.now() - resyncStarted;
    }
    const resyncEnd = processUsage(pid);
    const resyncMs = stableSince - resyncStarted;
    const onceText = everyStoreOnceMs === undefined ? 'never' : `${(everyStoreOnceMs / 1000).toFixed(2)} s`;
    console.log(`full resync of ${stores} stores: ${stores} reconciles after ${onceText}; ${last - before} reconciles in ${(resyncMs / 1000).toFixed(2)} s, CPU ${(resyncEnd.cpuSeconds - resyncStart.cpuSeconds).toFixed(2)} s, peak RSS ${resyncPeak.toFixed(1)} MB`);
  } finally {
    await stopWorker(worker);
    client.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}, redis-server pods in the sandbox, reconciler from ${values['from-source'] ? 'source (tsx)' : 'dist/ (compiled)'} with node flags [${process.env.BENCH_WORKER_NODE_FLAGS ?? RECONCILER_NODE_FLAGS.join(' ')}]`);
if (!values['skip-ready']) await benchReady();
if (!values['skip-pending']) await benchPending(Number(values.stores), Number(values.replicas), Number(values['steady-seconds']));
