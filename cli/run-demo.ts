/**
 * `redwing demo` (also `npm run demo`): a 3-pod store, a live write loop through its master Service, and a failover
 * on a key press (or at once with --kill-master / --delete-master), printed as it happens: when writes failed, when a
 * replica was promoted, the first acknowledged write after, and how many acknowledged keys were lost (read back).
 * It uses the configured cluster, else the sandbox `npm start` runs in --dir, else starts one itself.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { KVStore } from '../shared/schema/kvstore.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { KubeClient } from '../kube/client.js';
import { loadClusterAccess } from '../kube/cluster-access.js';
import { paths } from '../kube/paths.js';
import { configuredKubeconfigPath, isInCluster } from './cluster-choice.js';
import { clientAccess, ENGINES, ensureDemoStore, removeMaster, waitForReadyStore, type DemoEngine, type DemoStoreRef, type RemoveMaster } from './demo-store.js';
import { DemoWrites, type WriteChange } from './demo-writes.js';
import { eventLine, failoverSummary, liveLine, type FailoverOutcome } from './demo-report.js';
import type { FlagValues } from './flags.js';
import { startLocalStack } from './local-stack.js';
import { stopInOrder } from './shutdown.js';

const READY_TIMEOUT_MS = 180_000;
const FAILOVER_TIMEOUT_MS = 60_000;
/** Writes before a non-interactive removal, and after the failover before the keys are read back. */
const STEADY_WRITES_MS = 3000;
const AFTER_FAILOVER_MS = 2000;

const say = (line: string): void => { process.stdout.write(`${line}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

interface DemoSettings {
  ref: DemoStoreRef;
  engine: DemoEngine;
  replicas: number;
  remove?: RemoveMaster;
}

export function demoSettings(flags: FlagValues): DemoSettings {
  const engine = String(flags.engine);
  if (!(ENGINES as readonly string[]).includes(engine)) throw new Error(`--engine must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  const replicas = Number(flags.replicas);
  if (replicas < 2 || replicas > 15) throw new Error(`--replicas must be from 2 (a master and a replica to promote) to 15, got ${replicas}`);
  if (flags['kill-master'] === true && flags['delete-master'] === true) throw new Error('--kill-master and --delete-master: pick one');
  const remove = flags['kill-master'] === true ? 'kill' : flags['delete-master'] === true ? 'delete' : undefined;
  return { ref: { namespace: String(flags.namespace), name: String(flags.name) }, engine: engine as DemoEngine, replicas, ...(remove ? { remove } : {}) };
}

async function answers(client: KubeClient): Promise<boolean> {
  try {
    await client.request('GET', '/version', undefined, 'application/json', 2000);
    return true;
  } catch {
    return false;
  }
}

/** The configured cluster; else the sandbox `npm start` runs in --dir; else a sandbox and operator started here. */
async function chooseCluster(flags: FlagValues, logger: Logger, stops: Array<[string, () => Promise<void>]>): Promise<KubeClient> {
  const configured = configuredKubeconfigPath(flags.kubeconfig);
  if (configured || isInCluster()) {
    say(`cluster: ${configured ?? 'in-cluster service account'}`);
    return new KubeClient(await loadClusterAccess(configured));
  }
  const sandboxKubeconfig = join(resolve(String(flags.dir)), 'kubeconfig');
  if (existsSync(sandboxKubeconfig)) {
    const client = new KubeClient(await loadClusterAccess(sandboxKubeconfig));
    if (await answers(client)) {
      say(`cluster: the sandbox in ${String(flags.dir)} (npm start is running)`);
      return client;
    }
  }
  say(`cluster: none configured; starting the sandbox in ${String(flags.dir)} with the webhook and the reconciler in this process`);
  const stack = await startLocalStack({
    kubeconfigFlag: undefined, dir: String(flags.dir), fresh: flags.fresh === true, webhookPort: 0, webhookMetricsPort: 0, reconcilerMetricsPort: 0, logger,
  }, stops);
  return new KubeClient(stack.kubeConfig);
}

interface FailoverWatch {
  changes: WriteChange[];
}

/** Removes the master and follows the failover until a new master takes acknowledged writes (bounded). */
async function failover(client: KubeClient, settings: DemoSettings, how: RemoveMaster, writes: DemoWrites, watch: FailoverWatch, password: string | undefined): Promise<boolean> {
  const storePath = paths.kvstore(settings.ref.namespace, settings.ref.name);
  const before = await client.get<KVStore>(storePath);
  const oldMaster = before.status?.master ?? '?';
  watch.changes.length = 0;
  const removedAt = performance.now();
  say(`\n${await removeMaster(client, before, how, password)}`);
  let seenChanges = 0;
  let phase = before.status?.phase;
  let master = oldMaster;
  let latest = before;
  let masterChangedAt: number | undefined;
  // Lines of one round are printed in time order: a write change may land while the status is being read.
  const pending: Array<[number, string]> = [];
  const flush = (): void => {
    for (const change of watch.changes.slice(seenChanges)) {
      pending.push([change.atMs, change.kind === 'failing' ? `writes fail: ${change.message}` : 'writes acknowledged again']);
    }
    seenChanges = watch.changes.length;
    for (const [at, text] of pending.sort((a, b) => a[0] - b[0])) say(eventLine(at - removedAt, text));
    pending.length = 0;
  };
  while (performance.now() - removedAt < FAILOVER_TIMEOUT_MS) {
    latest = await client.get<KVStore>(storePath);
    const readAt = performance.now();
    if (latest.status?.phase !== phase) pending.push([readAt, `store phase ${phase ?? '-'} -> ${latest.status?.phase ?? '-'}`]);
    if (latest.status?.master && latest.status.master !== master) {
      masterChangedAt = readAt;
      pending.push([readAt, `master is now ${latest.status.master}`]);
    }
    flush();
    phase = latest.status?.phase;
    master = latest.status?.master ?? master;
    // Done once a new master took acknowledged writes: after the writes' failure, or for a second if none failed.
    const recovered = watch.changes.at(-1)?.kind === 'recovered';
    const neverFailed = watch.changes.length === 0 && masterChangedAt !== undefined && performance.now() - masterChangedAt > 1000;
    if (master !== oldMaster && !writes.counters.failing && (recovered || neverFailed)) break;
    await sleep(100);
  }
  flush();
  const recovery = [...watch.changes].reverse().find((change) => change.kind === 'recovered');
  const firstWriteMs = recovery ? recovery.atMs - removedAt : undefined;
  await sleep(AFTER_FAILOVER_MS);
  const { checked, lost } = await writes.readBack();
  const outageStart = watch.changes.find((change) => change.kind === 'failing');
  const lastAckBefore = outageStart?.kind === 'failing' ? outageStart.lastAckAtMs : undefined;
  const recoveredAt = recovery?.atMs;
  const outcome: FailoverOutcome = {
    oldMaster, newMaster: master, checked, lost: lost.length,
    ...(latest.status?.lastFailover ? { record: latest.status.lastFailover } : {}),
    ...(firstWriteMs === undefined ? {} : { firstWriteMs }),
    ...(recoveredAt !== undefined && lastAckBefore !== undefined ? { unavailableMs: recoveredAt - lastAckBefore } : {}),
  };
  say('');
  for (const line of failoverSummary(outcome)) say(line);
  if (lost.length > 0) say(`lost keys (first 10): ${lost.slice(0, 10).join(', ')}`);
  return lost.length === 0 && master !== oldMaster && !writes.counters.failing;
}

/** Key presses on a terminal: k/space/enter kill the master, d deletes its pod, q or Ctrl-C quits. */
function keyPresses(onKey: (action: RemoveMaster | 'quit') => void): () => void {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (data: Buffer) => {
    const key = data.toString();
    if (key === 'q' || key === '\u0003') onKey('quit');
    else if (key === 'd') onKey('delete');
    else if (key === 'k' || key === ' ' || key === '\r') onKey('kill');
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

async function runLoop(client: KubeClient, settings: DemoSettings, password: string | undefined, writes: DemoWrites, watch: FailoverWatch): Promise<boolean> {
  const startedAt = performance.now();
  let lastCount = writes.counters.acknowledged;
  let master: string | undefined;
  let live: NodeJS.Timeout | undefined;
  // One line a second while nothing else is printed (stopped during a failover, which prints its own lines).
  const startLive = (): void => {
    lastCount = writes.counters.acknowledged;
    live = setInterval(() => {
      const acknowledged = writes.counters.acknowledged;
      say(liveLine({ elapsedS: (performance.now() - startedAt) / 1000, master, pingMs: writes.counters.pingMs, writesPerSecond: acknowledged - lastCount, acknowledged, failing: writes.counters.failing }));
      lastCount = acknowledged;
    }, 1000);
  };
  startLive();
  const refreshMaster = async () => { master = (await client.get<KVStore>(paths.kvstore(settings.ref.namespace, settings.ref.name))).status?.master; };
  try {
    await refreshMaster();
    if (settings.remove) {
      await sleep(STEADY_WRITES_MS);
      clearInterval(live);
      return await failover(client, settings, settings.remove, writes, watch, password);
    }
    if (!process.stdin.isTTY) {
      say('no terminal to read keys from: writing until Ctrl-C (or pass --kill-master / --delete-master)');
      await new Promise((resolveSignal) => { process.once('SIGINT', resolveSignal); process.once('SIGTERM', resolveSignal); });
      return true;
    }
    say('press k (or space) to kill the master process, d to delete the master pod, q to quit');
    let ok = true;
    for (;;) {
      const action = await new Promise<RemoveMaster | 'quit'>((resolveKey) => { const release = keyPresses((key) => { release(); resolveKey(key); }); });
      if (action === 'quit') return ok;
      clearInterval(live);
      ok = (await failover(client, settings, action, writes, watch, password)) && ok;
      await refreshMaster();
      say('\npress k to kill the new master, d to delete its pod, q to quit');
      startLive();
    }
  } finally {
    clearInterval(live);
  }
}

export async function runDemoCommand(flags: FlagValues): Promise<void> {
  const settings = demoSettings(flags);
  // The operator's own log, when it runs in this process, would drown the demo's lines (a failover logs warnings): errors only.
  const logger = createLogger('redwing', { level: process.env.REDWING_LOG_LEVEL ?? 'error' });
  const stops: Array<[string, () => Promise<void>]> = [];
  let writes: DemoWrites | undefined;
  let ok = false;
  try {
    const client = await chooseCluster(flags, logger, stops);
    say(await ensureDemoStore(client, settings.ref, settings.engine, settings.replicas));
    const store = await waitForReadyStore(client, settings.ref, settings.replicas, READY_TIMEOUT_MS, (line) => say(`  ${line}`));
    const access = await clientAccess(client, store);
    // Dragonfly has no WAIT: a write is acknowledged on OK there, and its failover may lose the last ones (README).
    const waitReplicas = settings.engine === 'dragonfly' ? 0 : 1;
    say(`store Ready, master ${store.status?.master}; writing through Service ${settings.ref.name} (${access.host}:${access.port})`
      + (waitReplicas > 0 ? ' with SET + WAIT 1: a write counts once a replica has it' : ' with SET'));
    const watch: FailoverWatch = { changes: [] };
    writes = new DemoWrites({ ...access, prefix: `demo:${randomBytes(4).toString('hex')}`, waitReplicas, onChange: (change) => watch.changes.push(change) });
    ok = await runLoop(client, settings, access.password, writes, watch);
  } finally {
    await writes?.stop();
    if (stops.length > 0) await stopInOrder(logger, stops);
  }
  // The store stays for a look with kubectl; in a sandbox this command started, it comes back with the sandbox.
  say(stops.length === 0
    ? `\nthe store ${settings.ref.namespace}/${settings.ref.name} is kept: kubectl delete kvs ${settings.ref.name} removes it`
    : `\nstopped the sandbox in ${String(flags.dir)}; the store comes back with the next npm start or redwing demo (--fresh wipes it)`);
  if (!ok) throw new Error('the failover did not complete with every acknowledged key (see above)');
}
