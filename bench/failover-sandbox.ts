/**
 * Sandbox mode of the failover benchmark: the whole operator on the sandbox, engine by engine. For each engine, one
 * sandbox with one KVStore of 3 pods (that engine's real server, run by the sandbox kubelet), the reconciler with its
 * health monitor, and a writer going through the master Service's ClusterIP (the sandbox service proxy, which follows
 * the role label as kube-proxy would). Each fault (failover-sandbox-faults.ts: kill, freeze, delete) runs `trials`
 * times on the master of the moment; rollouts then change the pod template, which needs a rolling restart: replicas
 * first, then a switchover (FAILOVER TO; REPLTAKEOVER on Dragonfly), then the old master. The table at the end puts
 * every engine × fault side by side.
 */
import { paths } from '../kube/paths.js';
import { getStore } from '../harness/sandbox-cluster.js';
import { waitFor } from '../harness/wait-for.js';
import { missingKeys } from '../harness/topology.js';
import type { Engine } from '../shared/schema/kvstore.js';
import { faultTrial, steadyWriter, type Fault, type FaultTrial } from './failover-sandbox-faults.js';
import { startSandboxStore, type SandboxStore } from './failover-sandbox-store.js';
import { defined, longestPause, percentile, sum, summary } from './failover-stats.js';
import { longestPauseDetail, startTimeline, type PauseDetail, type TimelineEntry } from './failover-timeline.js';

export interface SandboxModeOptions {
  engines: Engine[];
  faults: Fault[];
  trials: number;
  rollouts: number;
  downAfterMilliseconds: number;
  minReplicas: number;
  verbose: boolean;
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

interface EngineResult {
  engine: Engine;
  minReplicasToWrite: number;
  trials: FaultTrial[];
}

async function rolloutTrial(store: SandboxStore, index: number): Promise<RolloutTrial> {
  const { writer, master } = await steadyWriter(store, `roll${index}`, 1000);
  let timeline: ReturnType<typeof startTimeline> | undefined;
  try {
    const before = await store.revisions();
    const startedAt = Date.now();
    timeline = startTimeline(store, startedAt);
    // A pod-template change (an annotation, so one image serves every engine): a new revision every pod must restart into.
    await store.cluster.client.patch(paths.kvstore('default', store.name), { spec: { podMetadata: { annotations: { 'bench.redwing.dev/rollout': String(index + 1) } } } });
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

/** Which check declared the master lost, from status.lastFailover.reason. */
function pathOf(trial: FaultTrial): string {
  if (trial.reason === 'MasterRestarted') return 'pod watch (engine container died)';
  if (trial.reason === 'MasterUnreachable') return 'health monitor';
  return trial.reason ?? 'unknown';
}

function printFault(engine: Engine, fault: Fault, trials: FaultTrial[]): void {
  console.log(`\n${engine}, ${fault} of the master (through the master Service):`);
  console.log(summary('time without an acknowledged write', trials.map((t) => t.windowMs)));
  console.log(summary('detection (fault → "master down")', defined(trials.map((t) => t.detectionMs))));
  console.log(summary('fault → a replica promoted (ROLE)', defined(trials.map((t) => t.promotedMs))));
  console.log(summary('fault → status.master moved', trials.map((t) => t.recordedMs)));
  console.log(summary('fault → Ready, old master a replica', trials.map((t) => t.rejoinMs)));
  const paths = new Map<string, number>();
  for (const trial of trials) paths.set(pathOf(trial), (paths.get(pathOf(trial)) ?? 0) + 1);
  console.log(`declared lost by: ${[...paths].map(([path, count]) => `${path} in ${count}`).join('; ')}`);
  console.log(`acknowledged writes lost: ${sum(trials.map((t) => t.lost))} of ${sum(trials.map((t) => t.acknowledged))}`);
}

function printRollouts(rollouts: RolloutTrial[]): void {
  console.log('\nrolling update (client retrying each write for up to 1 s, through the master Service):');
  console.log(`failed writes: ${sum(rollouts.map((r) => r.failed))} over ${rollouts.length} rollouts; acknowledged writes lost: ${sum(rollouts.map((r) => r.lost))} of ${sum(rollouts.map((r) => r.acknowledged))}; switched over (not restarted in place): ${rollouts.filter((r) => r.switchedOver).length} of ${rollouts.length}`);
  console.log(summary('longest write pause', rollouts.map((r) => r.pauseMs)));
  console.log(summary('rollout duration', rollouts.map((r) => r.rolloutMs)));
}

/** The side-by-side table: one row per engine × fault. */
function printTable(results: EngineResult[], faults: Fault[]): void {
  console.log('\n| engine | fault | n | time without an acknowledged write p50 / p95 / max | detection p50 | acknowledged writes lost |');
  console.log('|---|---|---|---|---|---|');
  for (const { engine, minReplicasToWrite, trials } of results) {
    for (const fault of faults) {
      const rows = trials.filter((trial) => trial.fault === fault);
      if (rows.length === 0) continue;
      const windows = rows.map((trial) => trial.windowMs);
      const detections = defined(rows.map((trial) => trial.detectionMs));
      const detection = detections.length > 0 ? `${percentile(detections, 50).toFixed(0)} ms` : 'n/a';
      console.log(`| ${engine}${minReplicasToWrite > 0 ? ` (WAIT ${minReplicasToWrite})` : ''} | ${fault} | ${rows.length} | ${percentile(windows, 50).toFixed(0)} / ${percentile(windows, 95).toFixed(0)} / ${Math.max(...windows).toFixed(0)} ms | ${detection} | ${sum(rows.map((t) => t.lost))} of ${sum(rows.map((t) => t.acknowledged))} |`);
    }
  }
}

async function runEngine(engine: Engine, options: SandboxModeOptions): Promise<EngineResult> {
  // Dragonfly has no WAIT and refuses minReplicasToWrite > 0 at admission: plain SETs there.
  const minReplicasToWrite = engine === 'dragonfly' ? 0 : options.minReplicas;
  const startedAt = Date.now();
  const store = await startSandboxStore({ name: 'bench', engine, downAfterMilliseconds: options.downAfterMilliseconds, minReplicasToWrite, verbose: options.verbose });
  console.log(`\n[${engine}] sandbox up, store Ready in ${Date.now() - startedAt} ms; master Service ${store.service.host}:${store.service.port}; minReplicasToWrite ${minReplicasToWrite}`);
  try {
    const trials: FaultTrial[] = [];
    for (const fault of options.faults) {
      for (let i = 0; i < options.trials; i += 1) {
        const t = await faultTrial(store, fault, i);
        trials.push(t);
        console.log(`  [${engine}] ${fault} trial ${String(i + 1).padStart(2)} (${t.master}, ${pathOf(t)}): without acknowledged writes ${t.windowMs} ms, detection ${t.detectionMs ?? 'n/a'} ms, promoted ${t.promotedMs ?? 'n/a'} ms, status moved ${t.recordedMs} ms, rejoined ${t.rejoinMs} ms, acked ${t.acknowledged}, lost ${t.lost}`);
      }
      printFault(engine, fault, trials.filter((t) => t.fault === fault));
    }
    const rolls: RolloutTrial[] = [];
    for (let i = 0; i < options.rollouts; i += 1) {
      const r = await rolloutTrial(store, i);
      rolls.push(r);
      console.log(`  [${engine}] rollout ${String(i + 1).padStart(2)}: failed writes ${r.failed}, longest write pause ${r.pauseMs} ms, rollout ${r.rolloutMs} ms, switched over ${r.switchedOver}, acked ${r.acknowledged}, lost ${r.lost}`);
      if (r.pause) console.log(`      longest pause +${r.pause.startMs}..+${r.pause.endMs} ms after the patch; errors in it: ${r.pause.errors}`);
      console.log(`      timeline: ${r.timeline.map((entry) => `+${entry.atMs} ${entry.what}`).join(', ')}`);
    }
    if (rolls.length > 0) printRollouts(rolls);
    if (store.log.warnings.length > 0) console.log(`\n[${engine}] reconciler warnings/errors logged: ${store.log.warnings.length} (--verbose prints them)`);
    return { engine, minReplicasToWrite, trials };
  } finally {
    await store.stop();
  }
}

export async function runSandboxMode(options: SandboxModeOptions): Promise<void> {
  const { engines, faults, trials, rollouts, downAfterMilliseconds, minReplicas } = options;
  console.log(`redwing failover bench (sandbox): engines ${engines.join(', ')}; faults ${faults.join(', ')}; ${trials} trials each, ${rollouts} rollouts per engine; KVStore of 3 pods, downAfterMilliseconds ${downAfterMilliseconds}, minReplicasToWrite ${minReplicas} (the writer WAITs for that many replicas; 0 on Dragonfly), writes through the master Service ClusterIP`);
  console.log('detection = fault → the reconciler\'s "master down" log line (the health monitor\'s verdict, or its check triggered by a pod event).');
  const results: EngineResult[] = [];
  for (const engine of engines) results.push(await runEngine(engine, options));
  printTable(results, faults);
}
