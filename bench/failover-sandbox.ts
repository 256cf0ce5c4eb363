/**
 * Sandbox mode of the failover benchmark: the whole operator on the sandbox. One KVStore of 3 pods (real
 * redis-server processes run by the sandbox kubelet), the reconciler with its health monitor, and a writer going
 * through the master Service's ClusterIP (the sandbox service proxy, which follows the role label as kube-proxy
 * would). Each kill trial SIGKILLs the master's container; the kubelet restarts it at once (then with its growing
 * CrashLoopBackOff), so early trials are also "the master restarts faster than detection". Rollouts change the
 * image, which needs a rolling restart: replicas first, then a switchover, then the old master.
 */
import { paths } from '../kube/paths.js';
import { getStore } from '../harness/sandbox-cluster.js';
import { waitFor } from '../harness/wait-for.js';
import { missingKeys } from '../harness/topology.js';
import { Writer } from '../harness/writer.js';
import { restartedAfterMs, startSandboxStore, watchPromotion, type SandboxStore } from './failover-sandbox-store.js';
import { defined, longestPause, sum, summary, unavailability } from './failover-stats.js';
import { waitForStreaming } from './failover-streaming.js';
import { longestPauseDetail, startTimeline, type PauseDetail, type TimelineEntry } from './failover-timeline.js';

export interface SandboxModeOptions {
  trials: number;
  rollouts: number;
  downAfterMilliseconds: number;
  minReplicas: number;
  verbose: boolean;
}

interface KillTrial {
  master: string;
  windowMs?: number;
  detectionMs?: number;
  /** Kill to a replica answering ROLE as master (polled every 25 ms). */
  promotedMs?: number;
  /** status.lastFailover.durationMs: detection to promotion, as the reconciler records it. */
  promotionMs?: number;
  /** status.lastFailover.reason. */
  reason?: string;
  /** Kill to status.master naming the new master. */
  recordedMs: number;
  restartMs?: number;
  rejoinMs: number;
  lost: number;
  acknowledged: number;
}

interface RolloutTrial {
  failed: number;
  pauseMs: number;
  pause?: PauseDetail;
  timeline: TimelineEntry[];
  rolloutMs: number;
  switchedOver: boolean;
  lost: number;
  acknowledged: number;
}

const WARM_UP_WRITES = 200;
/** The kubelet's CrashLoopBackOff doubles per kill of the same pod up to 300 s, so a long run waits that long. */
const REJOIN_TIMEOUT_MS = 420_000;

function newWriter(store: SandboxStore, prefix: string, retryForMs: number, minReplicas: number): Writer {
  return new Writer({ ...store.service, prefix, retryForMs, waitReplicas: minReplicas, waitTimeoutMs: 300 });
}

/** Healthy, the replicas streaming from the master, and a writer past its warm-up: steady state. */
async function steadyWriter(store: SandboxStore, prefix: string, retryForMs: number, minReplicas: number): Promise<{ writer: Writer; master: string; masterIp: string; replicas: Array<{ name: string; ip: string }> }> {
  const pods = await store.healthy();
  const master = pods.find((pod) => pod.role === 'master')!;
  await waitForStreaming({ host: master.ip!, port: 6379, password: store.password }, 2);
  const writer = newWriter(store, prefix, retryForMs, minReplicas);
  try {
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= WARM_UP_WRITES, 30_000, 25);
  } catch (error) {
    await writer.stop();
    throw new Error('the writer did not get going through the master Service', { cause: error });
  }
  const replicas = pods.filter((pod) => pod !== master).map((pod) => ({ name: pod.name, ip: pod.ip! }));
  return { writer, master: master.name, masterIp: master.ip!, replicas };
}

async function killTrial(store: SandboxStore, index: number, minReplicas: number): Promise<KillTrial> {
  const { writer, master, masterIp, replicas } = await steadyWriter(store, `kill${index}`, 30_000, minReplicas);
  let restartDone = false;
  let promotion: ReturnType<typeof watchPromotion> | undefined;
  try {
    const killedAt = Date.now();
    promotion = watchPromotion(replicas, store.password, killedAt, 60_000);
    await store.cluster.sandbox.faults.crashPod('default', master);
    const restart = new Promise((resolve) => setTimeout(resolve, 20))
      .then(() => restartedAfterMs(masterIp, 6379, killedAt, REJOIN_TIMEOUT_MS, () => restartDone));
    const failedOver = await waitFor('a new master recorded in status', async () => {
      const current = await getStore(store.cluster.client, store.name);
      return current.status?.master && current.status.master !== master && current.status.lastFailover?.from === master ? current : undefined;
    }, 60_000, 50);
    const recordedMs = Date.now() - killedAt;
    const ackedAtFailover = writer.report.acknowledged.length;
    await waitFor('writes through the master Service again', async () => writer.report.acknowledged.length >= ackedAtFailover + 100, 30_000, 25);
    const report = await writer.stop();
    // Read back through the Service, as a client would: it now leads to the new master.
    const lost = (await missingKeys(store.service, report.acknowledged)).length;
    await waitFor('the old master back as a replica', async () => {
      const pods = await store.healthy(5_000);
      return pods.find((pod) => pod.name === master)?.role === 'replica';
    }, REJOIN_TIMEOUT_MS, 100);
    const rejoinMs = Date.now() - killedAt;
    const restartMs = await restart;
    const promoted = await promotion.promoted;
    const down = store.log.firstMasterDown(store.key, master, killedAt);
    return {
      master, windowMs: unavailability(report, killedAt), detectionMs: down ? down.atMs - killedAt : undefined,
      promotedMs: promoted?.afterMs, promotionMs: failedOver.status?.lastFailover?.durationMs, reason: failedOver.status?.lastFailover?.reason, recordedMs, restartMs, rejoinMs, lost, acknowledged: report.acknowledged.length,
    };
  } finally {
    restartDone = true;
    promotion?.stop();
    await writer.stop();
  }
}

async function rolloutTrial(store: SandboxStore, index: number, minReplicas: number): Promise<RolloutTrial> {
  const { writer, master } = await steadyWriter(store, `roll${index}`, 1000, minReplicas);
  let timeline: ReturnType<typeof startTimeline> | undefined;
  try {
    const before = await store.revisions();
    const startedAt = Date.now();
    timeline = startTimeline(store, startedAt);
    // A new image tag is a pod-template change: the StatefulSet gets a new revision and every pod must restart.
    await store.cluster.client.patch(paths.kvstore('default', store.name), { spec: { image: `redis:7.4.${index + 1}` } });
    await waitFor('every pod on the new revision', async () => {
      const current = await store.revisions();
      return current.update !== before.update && current.pods.length === 3 && current.pods.every((revision) => revision === current.update);
    }, 300_000, 200);
    await store.healthy();
    const rolloutMs = Date.now() - startedAt;
    const acked = writer.report.acknowledged.length;
    await waitFor('writes after the rollout', async () => writer.report.acknowledged.length >= acked + 50, 30_000, 25);
    const report = await writer.stop();
    const entries = await timeline.stop();
    const lost = (await missingKeys(store.service, report.acknowledged)).length;
    const status = (await getStore(store.cluster.client, store.name)).status;
    const switchedOver = status?.master !== master && status?.lastFailover?.reason === 'RollingUpdateSwitchover';
    return {
      failed: report.failedKeys.length, pauseMs: longestPause(report, startedAt), pause: longestPauseDetail(report, startedAt), timeline: entries,
      rolloutMs, switchedOver, lost, acknowledged: report.acknowledged.length,
    };
  } finally {
    await timeline?.stop();
    await writer.stop();
  }
}

/**
 * Which check declared the master lost, from status.lastFailover.reason: the pod event of its engine process dying
 * (MasterRestarted), the health monitor (MasterUnreachable), or a reconcile that found it restarted fenced first
 * (MasterLost, no "master down" line).
 */
function pathOf(kill: KillTrial): 'pod watch' | 'monitor' | 'fenced' {
  if (kill.reason === 'MasterRestarted') return 'pod watch';
  if (kill.reason === 'MasterUnreachable') return 'monitor';
  return 'fenced';
}

const PATH_DESCRIPTIONS = {
  'pod watch': 'the engine container\'s death seen in the pod status',
  monitor: 'the health monitor',
  fenced: 'a reconcile that found the restarted master fenced',
} as const;

function printKills(kills: KillTrial[]): void {
  console.log('\nmaster killed (SIGKILL of the master container, through the master Service):');
  console.log(summary('write-unavailability window', defined(kills.map((k) => k.windowMs))));
  console.log(summary('detection (kill → "master down")', defined(kills.map((k) => k.detectionMs))));
  console.log(summary('kill → a replica promoted (ROLE)', defined(kills.map((k) => k.promotedMs))));
  console.log(summary('promotion (lastFailover.durationMs)', defined(kills.map((k) => k.promotionMs))));
  console.log(summary('kill → status.master moved', kills.map((k) => k.recordedMs)));
  console.log(summary('kill → killed engine answers again', defined(kills.map((k) => k.restartMs))));
  console.log(summary('kill → Ready, old master a replica', kills.map((k) => k.rejoinMs)));
  const countByPath = new Map<keyof typeof PATH_DESCRIPTIONS, number>();
  for (const kill of kills) countByPath.set(pathOf(kill), (countByPath.get(pathOf(kill)) ?? 0) + 1);
  console.log(`declared lost by: ${[...countByPath].map(([path, count]) => `${PATH_DESCRIPTIONS[path]} in ${count}`).join('; ')}`);
  console.log(`acknowledged writes lost: ${sum(kills.map((k) => k.lost))} of ${sum(kills.map((k) => k.acknowledged))}`);
}

function printRollouts(rollouts: RolloutTrial[]): void {
  console.log('\nrolling image update (client retrying each write for up to 1 s, through the master Service):');
  console.log(`failed writes: ${sum(rollouts.map((r) => r.failed))} over ${rollouts.length} rollouts; acknowledged writes lost: ${sum(rollouts.map((r) => r.lost))} of ${sum(rollouts.map((r) => r.acknowledged))}; switched over (not restarted in place): ${rollouts.filter((r) => r.switchedOver).length} of ${rollouts.length}`);
  console.log(summary('longest write pause', rollouts.map((r) => r.pauseMs)));
  console.log(summary('rollout duration', rollouts.map((r) => r.rolloutMs)));
}

export async function runSandboxMode(options: SandboxModeOptions): Promise<void> {
  const { trials, rollouts, downAfterMilliseconds, minReplicas } = options;
  console.log(`redwing failover bench (sandbox): KVStore of 3 pods, downAfterMilliseconds ${downAfterMilliseconds}, minReplicasToWrite ${minReplicas}${minReplicas > 0 ? ` (writer uses WAIT ${minReplicas})` : ''}, reconciler health loop at its default period, writes through the master Service ClusterIP; ${trials} kill trials, ${rollouts} rollouts`);
  console.log('detection = kill → the reconciler\'s "master down" log line (its pod watch seeing the engine container die, or the health');
  console.log('monitor\'s verdict). A reconcile that finds the restarted master fenced first fails over without that line; "kill → a replica');
  console.log('promoted" then bounds detection from above.');
  const startedAt = Date.now();
  const store = await startSandboxStore({ name: 'bench', downAfterMilliseconds, minReplicasToWrite: minReplicas, verbose: options.verbose });
  console.log(`sandbox up, store Ready in ${Date.now() - startedAt} ms; master Service ${store.service.host}:${store.service.port}`);
  try {
    const kills: KillTrial[] = [];
    for (let i = 0; i < trials; i += 1) {
      const t = await killTrial(store, i, minReplicas);
      kills.push(t);
      console.log(`  kill -9 trial ${String(i + 1).padStart(2)} (${t.master}, ${pathOf(t)}): window ${t.windowMs ?? 'n/a'} ms, detection ${t.detectionMs ?? 'n/a'} ms, promoted ${t.promotedMs ?? 'n/a'} ms, lastFailover ${t.reason ?? 'n/a'} ${t.promotionMs ?? 'n/a'} ms, status moved ${t.recordedMs} ms, engine back ${t.restartMs ?? 'n/a'} ms, rejoined ${t.rejoinMs} ms, acked ${t.acknowledged}, lost ${t.lost}`);
    }
    if (kills.length > 0) printKills(kills);
    const rolls: RolloutTrial[] = [];
    for (let i = 0; i < rollouts; i += 1) {
      const r = await rolloutTrial(store, i, minReplicas);
      rolls.push(r);
      console.log(`  rollout ${String(i + 1).padStart(2)}: failed writes ${r.failed}, longest write pause ${r.pauseMs} ms, rollout ${r.rolloutMs} ms, switched over ${r.switchedOver}, acked ${r.acknowledged}, lost ${r.lost}`);
      if (r.pause) console.log(`      longest pause +${r.pause.startMs}..+${r.pause.endMs} ms after the patch; errors in it: ${r.pause.errors}`);
      console.log(`      timeline: ${r.timeline.map((entry) => `+${entry.atMs} ${entry.what}`).join(', ')}`);
    }
    if (rolls.length > 0) printRollouts(rolls);
    if (store.log.warnings.length > 0) console.log(`\nreconciler warnings/errors logged: ${store.log.warnings.length} (--verbose prints them)`);
  } finally {
    await store.stop();
  }
}
